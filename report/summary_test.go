package report

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/protocol"
)

// TestDecodeSummary: the hub's summary of a scorecard is exactly what the
// whole decode yields, for the golden scorecard and the sample; the
// validation errors are the same; and what the summary leaves unchecked is
// what its documentation says (a mistyped skipped field).
func TestDecodeSummary(t *testing.T) {
	t.Parallel()
	golden, err := os.ReadFile(filepath.Join("..", "testdata", "report", "scorecard.json"))
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := sample()
	compact, _ := json.Marshal(sc)
	for name, data := range map[string][]byte{"golden": golden, "sample": compact} {
		full, err := protocol.Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sum, err := protocol.DecodeSummary(data)
		if err != nil {
			t.Fatalf("%s: summary: %v", name, err)
		}
		if want := full.Summary(); !reflect.DeepEqual(sum, want) {
			t.Errorf("%s: summary differs from the whole decode:\n got %+v\nwant %+v", name, sum, want)
		}
		if len(sum.Results) != len(full.Results) || len(sum.Results) == 0 {
			t.Errorf("%s: %d results summarised, %d decoded", name, len(sum.Results), len(full.Results))
		}
	}

	edit := func(old, new string) []byte {
		t.Helper()
		s := string(compact)
		if !strings.Contains(s, old) {
			t.Fatalf("sample has no %q", old)
		}
		return []byte(strings.Replace(s, old, new, 1))
	}
	for name, data := range map[string][]byte{
		"schema":    edit(`"schema":"vigie.scorecard/v1"`, `"schema":"vigie.scorecard/v9"`),
		"status":    edit(`"status":"fail"`, `"status":""`),
		"level":     edit(`"level":`, `"level":7,"x":`),
		"score":     edit(`],"score":`, `],"score":101,"x":`),
		"id type":   edit(`"sequence":`, `"sequence":"12","x":`),
		"duplicate": edit(`"schema":`, `"id":"twice","schema":`),
		"trailing":  append(compact[:len(compact):len(compact)], []byte(` {}`)...),
		"not json":  []byte(`{"schema":`),
		"too large": make([]byte, protocol.MaxScorecardSize+1),
	} {
		_, errFull := protocol.Decode(data)
		_, errSum := protocol.DecodeSummary(data)
		if errFull == nil || errSum == nil {
			t.Errorf("%s: protocol.Decode err = %v, protocol.DecodeSummary err = %v: both must refuse", name, errFull, errSum)
		}
		if name == "schema" && !errors.Is(errSum, protocol.ErrSchema) {
			t.Errorf("schema: err = %v, want protocol.ErrSchema", errSum)
		}
	}
	// A status a newer agent may send is filed and read as an error
	// (forward compatibility, docs/protocol.md).
	if sum, err := protocol.DecodeSummary(edit(`"status":"fail"`, `"status":"partially-failed"`)); err != nil || sum.Results[0].Status.Effective() != protocol.Error {
		t.Errorf("unknown status: err = %v, want it filed and read as an error", err)
	}
	// Evidence is not read on receipt: a number there is filed, and only
	// the whole decode (the host page) refuses it.
	mistyped := edit(`"evidence":{`, `"evidence":42,"x":{`)
	if _, err := protocol.DecodeSummary(mistyped); err != nil {
		t.Errorf("mistyped evidence: summary err = %v, want it filed", err)
	}
	if _, err := protocol.Decode(mistyped); err == nil {
		t.Error("mistyped evidence decoded whole")
	}
}

// FuzzDecodeSummary: whatever decodes whole also summarises, to the same
// summary; whatever the summary refuses, the whole decode refuses too.
func FuzzDecodeSummary(f *testing.F) {
	golden, _ := os.ReadFile(filepath.Join("..", "testdata", "report", "scorecard.json"))
	f.Add(golden)
	sc, _ := sample()
	compact, _ := json.Marshal(sc)
	f.Add(compact)
	f.Add([]byte(`{"schema":"vigie.scorecard/v1","id":"a","results":[{"id":"x.y","status":"pass","facts":{"n":1}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		full, errFull := protocol.Decode(data)
		sum, errSum := protocol.DecodeSummary(data)
		if errFull == nil && errSum != nil {
			t.Fatalf("decodes whole but the summary refuses it: %v", errSum)
		}
		if errFull == nil && !reflect.DeepEqual(sum, full.Summary()) {
			t.Fatalf("summary %+v, whole decode says %+v", sum, full.Summary())
		}
	})
}

// TestVerifyLineBreaks: base64 broken into lines (which the decoder skips)
// still verifies, to the same payload, through the path that cannot decode
// in place.
func TestVerifyLineBreaks(t *testing.T) {
	t.Parallel()
	key, _ := protocol.GenerateKey()
	payload := []byte(strings.Repeat(`{"schema":"vigie.scorecard/v1","id":"x"}`, 10))
	env := protocol.Sign(protocol.PayloadType, payload, key)
	var wrapped strings.Builder
	for i := 0; i < len(env.Payload); i += 76 {
		wrapped.WriteString(env.Payload[i:min(i+76, len(env.Payload))])
		wrapped.WriteString("\r\n")
	}
	env.Payload = wrapped.String()
	got, err := protocol.Verify(env, protocol.PayloadType, key.Public().(ed25519.PublicKey))
	if err != nil || string(got) != string(payload) {
		t.Fatalf("wrapped base64: %q, %v", got, err)
	}
	env.Payload = base64.StdEncoding.EncodeToString(payload)[:len(env.Payload)/2] + "*"
	if _, err := protocol.Verify(env, protocol.PayloadType, key.Public().(ed25519.PublicKey)); !errors.Is(err, protocol.ErrMalformed) {
		t.Errorf("invalid base64: err = %v, want protocol.ErrMalformed", err)
	}
}
