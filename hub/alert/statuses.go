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
// is never read. The payload is one the hub accepted on receipt
// (protocol.DecodeSummary, which checked all of it); this reads the same
// statuses (FuzzResultStatuses), with the same JSON rules: names matched
// exactly, duplicate names refused.
func resultStatuses(payload []byte) (map[string]protocol.Status, error) {
	d := jsontext.NewDecoder(bytes.NewReader(payload))
	if err := want(d, '{'); err != nil {
		return nil, err
	}
	for d.PeekKind() == '"' {
		name, err := d.ReadToken()
		if err != nil {
			return nil, err
		}
		if name.String() != "results" {
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
	for d.PeekKind() == '{' {
		d.ReadToken()
		var id, status string
		for d.PeekKind() == '"' {
			name, err := d.ReadToken()
			if err != nil {
				return nil, err
			}
			var dst *string
			switch name.String() {
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
			v, err := d.ReadToken()
			if err != nil {
				return nil, err
			}
			if v.Kind() != '"' {
				return nil, fmt.Errorf("scorecard: result %s is not a string", name.String())
			}
			*dst = v.String()
		}
		if err := want(d, '}'); err != nil {
			return nil, err
		}
		if id == "" || status == "" {
			return nil, errors.New("scorecard: result without id or status")
		}
		st := protocol.Status(status)
		if cur, ok := out[id]; !ok || st.Rank() < cur.Rank() {
			out[id] = st
		}
	}
	if err := want(d, ']'); err != nil {
		return nil, err
	}
	return out, nil
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
