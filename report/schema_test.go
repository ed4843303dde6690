package report

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
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

// FuzzDecode checks that Decode and the published JSON Schema agree, in the
// direction producers rely on: a document the schema accepts (and that is
// I-JSON, RFC 7493: no duplicate names, valid UTF-8, which Decode requires
// and the schema cannot express) is accepted by Decode, and its re-encoding
// is still valid against the schema. Whatever Decode accepts re-encodes into
// a fixed point (decode, encode, decode, encode gives the same bytes).
//
// The converse (Decode accepts => the schema accepts) does not hold today:
// Decode checks the invariants the hub relies on (schema, id, level, score,
// result ids and statuses), not every constraint of the schema (result
// domains and severities, id pattern, refs ranges, required arrays), so a
// partial document such as the second seed decodes but is not schema-valid.
func FuzzDecode(f *testing.F) {
	golden, _ := os.ReadFile(filepath.Join("..", "testdata", "report", "scorecard.json"))
	f.Add(golden)
	f.Add([]byte(`{"schema":"vigie.scorecard/v1","id":"a","results":[{"id":"x.y","status":"pass"}]}`))
	f.Add([]byte(`{}`))
	// Schema-valid but not I-JSON: a duplicate name.
	f.Add([]byte(`{"schema":"vigie.scorecard/v1","id":"a","id":"b","agent_id":"","sequence":0,"agent_version":"","host":{},"started_at":"2024-01-01T00:00:00Z","finished_at":"2024-01-01T00:00:00Z","results":[],"domains":[],"score":0,"level":0,"actions":null}`))
	s := compileSchema(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		schemaErr := validate(s, data)
		sc, err := protocol.Decode(data)
		if err != nil {
			if schemaErr == nil && iJSON(data) && len(data) <= protocol.MaxScorecardSize {
				t.Fatalf("Decode refuses a schema-valid document: %v\n%s", err, data)
			}
			return
		}
		out, err := sc.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if schemaErr == nil {
			if err := validate(s, out); err != nil {
				t.Fatalf("a schema-valid document re-encodes into an invalid one: %v\nin:  %s\nout: %s", err, data, out)
			}
		}
		sc2, err := protocol.Decode(out)
		if err != nil {
			t.Fatalf("re-decode: %v\n%s", err, out)
		}
		out2, err := sc2.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("encoding is not a fixed point:\n%s\n%s", out, out2)
		}
	})
}

// iJSON reports whether data is I-JSON (RFC 7493), the profile Decode
// parses: well-formed, valid UTF-8, no duplicate member names.
func iJSON(data []byte) bool {
	var v any
	return jsonv2.Unmarshal(data, &v) == nil
}
