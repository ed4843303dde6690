package incident

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/incident/windows-bundle from the Windows fixtures")

// windowsBundleFiles are the collector files the hub's tests read back.
var windowsBundleFiles = []string{"persistence.json", "events.json", "recent-executables.json"}

// TestWindowsBundleGolden: testdata/incident/windows-bundle holds what the
// collectors make of the Windows fixtures (the Run key "OneDriveSync" to a
// binary written three days before, the old "SecurityHealth"), byte for
// byte but the run time. The hub's tests build their Windows incident from
// these files (hub and agent never import each other), so a collector
// change that the hub would show differently fails here first; -update
// rewrites them.
func TestWindowsBundleGolden(t *testing.T) {
	files, _ := Collect(context.Background(), winHost(t), Collectors, Options{})
	dir := filepath.Join("..", "..", "testdata", "incident", "windows-bundle")
	for _, name := range windowsBundleFiles {
		var got []byte
		for _, f := range files {
			if f.Name == name {
				got = f.Data
			}
		}
		if got == nil {
			t.Fatalf("no %s collected", name)
		}
		norm := func(b []byte) map[string]any {
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			m["duration_ms"] = 0.0 // wall time: the only part that varies
			return m
		}
		g := norm(got)
		if *updateGolden {
			b, _ := json.MarshalIndent(g, "", " ")
			if err := os.WriteFile(filepath.Join(dir, name), append(b, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%v (go test -run TestWindowsBundleGolden -update writes it)", err)
		}
		if w := norm(want); !reflect.DeepEqual(g, w) {
			t.Errorf("%s: the collectors no longer give the golden file (rerun with -update if intended)\n got %s", name, got)
		}
	}
}
