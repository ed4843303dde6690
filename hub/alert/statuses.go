package alert

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/vigie-cyber/vigie/protocol"
)

// resultStatuses returns the worst status of each check of a scorecard
// payload, reading its "results" alone: "fixed" needs nothing else, and
// results come before the scores, actions and software inventory (the
// published field order), so on a server's scorecard most of the document
// is never read (BenchmarkResultStatuses: a third of DecodeSummary's time
// on a server's scorecard).
//
// The payload is one the hub accepted on receipt (protocol.DecodeSummary
// checked all of it, duplicate names included, so they are not looked for
// again here); on such a payload this reads the same statuses as the
// summary (FuzzResultStatuses), names matched exactly as JSON v2 does.
func resultStatuses(payload []byte) (map[string]protocol.Status, error) {
	d := jsontext.NewDecoder(bytes.NewBuffer(payload), jsontext.AllowDuplicateNames(true)) // a bytes.Buffer is parsed in place, not copied
	if err := want(d, '{'); err != nil {
		return nil, err
	}
	for d.PeekKind() == '"' {
		name, err := readName(d)
		if err != nil {
			return nil, err
		}
		if name != "results" {
			if err := d.SkipValue(); err != nil {
				return nil, err
			}
			continue
		}
		return readResults(d)
	}
	if _, err := d.ReadToken(); err != nil { // '}' or the error that stopped the loop
		return nil, err
	}
	return nil, errors.New("scorecard: no results")
}

func readResults(d *jsontext.Decoder) (map[string]protocol.Status, error) {
	out := map[string]protocol.Status{}
	if d.PeekKind() == 'n' {
		_, err := d.ReadToken()
		return out, err
	}
	if err := want(d, '['); err != nil {
		return nil, err
	}
	var id, status []byte
	for d.PeekKind() == '{' {
		d.ReadToken()
		id, status = id[:0], status[:0]
		for d.PeekKind() == '"' {
			name, err := readName(d)
			if err != nil {
				return nil, err
			}
			var dst *[]byte
			switch name {
			case "id":
				dst = &id
			case "status":
				dst = &status
			default:
				if err := d.SkipValue(); err != nil {
					return nil, err
				}
				continue
			}
			v, err := d.ReadValue()
			if err != nil {
				return nil, err
			}
			if v.Kind() != '"' {
				return nil, fmt.Errorf("scorecard: result %s is not a string", name)
			}
			if *dst, err = jsontext.AppendUnquote((*dst)[:0], v); err != nil {
				return nil, err
			}
		}
		if err := want(d, '}'); err != nil {
			return nil, err
		}
		if len(id) == 0 || len(status) == 0 {
			return nil, errors.New("scorecard: result without id or status")
		}
		st := protocol.Status(status)
		if cur, ok := out[string(id)]; !ok || st.Rank() < cur.Rank() {
			out[string(id)] = st
		}
	}
	if err := want(d, ']'); err != nil {
		return nil, err
	}
	return out, nil
}

// readName reads an object member's name; the three names looked for
// are returned without allocating.
func readName(d *jsontext.Decoder) (string, error) {
	v, err := d.ReadValue()
	if err != nil {
		return "", err
	}
	raw := v
	if bytes.IndexByte(raw, '\\') >= 0 {
		if raw, err = jsontext.AppendUnquote(nil, v); err != nil {
			return "", err
		}
	} else {
		raw = raw[1 : len(raw)-1]
	}
	switch string(raw) {
	case "id":
		return "id", nil
	case "status":
		return "status", nil
	case "results":
		return "results", nil
	}
	return "", nil // another name: skipped
}

// want reads one token of kind k.
func want(d *jsontext.Decoder, k jsontext.Kind) error {
	t, err := d.ReadToken()
	if err != nil {
		return err
	}
	if t.Kind() != k {
		return fmt.Errorf("scorecard: %v where %v was expected", t.Kind(), k)
	}
	return nil
}
