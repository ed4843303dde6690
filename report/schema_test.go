package report

import (
	"bytes"
	"crypto/ed25519"
	_ "embed"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/vigie-cyber/vigie/protocol"
)

//go:embed scorecard.schema.json
var schemaJSON []byte

func compileSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("scorecard.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("scorecard.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(s *jsonschema.Schema, data []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

// TestGoldenMatchesSchema keeps the published JSON Schema and the Go model
// in step (STYLE.md rule 12).
func TestGoldenMatchesSchema(t *testing.T) {
	t.Parallel()
	s := compileSchema(t)
	data, err := os.ReadFile(filepath.Join("..", "testdata", "report", "scorecard.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := validate(s, data); err != nil {
		t.Fatalf("golden scorecard does not match the schema: %v", err)
	}
	// And the schema is not vacuous: a bad level and a bad status are refused.
	var m map[string]any
	json.Unmarshal(data, &m)
	m["level"] = 7
	bad, _ := json.Marshal(m)
	if validate(s, bad) == nil {
		t.Error("schema accepted level 7")
	}
	json.Unmarshal(data, &m)
	m["results"].([]any)[0].(map[string]any)["status"] = "ok"
	bad, _ = json.Marshal(m)
	if validate(s, bad) == nil {
		t.Error("schema accepted status ok")
	}
}

// FuzzDecode: any input either fails to decode or yields a scorecard that
// re-encodes into something valid against the schema; never a panic.
func FuzzDecode(f *testing.F) {
	golden, _ := os.ReadFile(filepath.Join("..", "testdata", "report", "scorecard.json"))
	f.Add(golden)
	f.Add([]byte(`{"schema":"vigie.scorecard/v1","id":"a","results":[{"id":"x.y","status":"pass"}]}`))
	f.Add([]byte(`{}`))
	s := compileSchema(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := protocol.Decode(data)
		if err != nil {
			return
		}
		out, err := sc.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := protocol.Decode(out); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		_ = validate(s, out) // partial documents may lack fields; must not panic
	})
}

// FuzzParseEnvelope: never panics, and whatever parses and verifies under a
// fresh key must have been signed by it (which random input never is).
func FuzzParseEnvelope(f *testing.F) {
	key, _ := protocol.GenerateKey()
	good, _ := json.Marshal(protocol.Sign(protocol.PayloadType, []byte(`{"a":1}`), key))
	f.Add(good)
	f.Add([]byte(`{"payloadType":"x","payload":"","signatures":[]}`))
	other, _ := protocol.GenerateKey()
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := protocol.ParseEnvelope(data)
		if err != nil {
			return
		}
		if _, err := protocol.Verify(e, protocol.PayloadType, other.Public().(ed25519.PublicKey)); err == nil {
			t.Fatal("random envelope verified under an unrelated key")
		}
	})
}
