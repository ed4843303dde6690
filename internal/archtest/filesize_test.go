package archtest

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// maxLines bounds a non-test Go file: past it a file holds more than one
// responsibility and a reader loses its thread (issue 12).
const maxLines = 500

// overLimit lists the files allowed past maxLines, each with its reason.
// Only generated tables and byte-level codecs belong here for good; an entry
// whose file shrinks below the limit fails the test, so the list stays true.
var overLimit = map[string]string{
	// A byte-level codec: the TLS record layer, ClientHello and SSLv2 hello
	// built and parsed byte by byte; splitting it would scatter one format.
	"checks/tls/wire.go": "byte-level codec",
}

func lineCount(data []byte) int { return bytes.Count(data, []byte("\n")) }

func TestNoLongFiles(t *testing.T) {
	t.Parallel()
	root := Root(t)
	seen := map[string]bool{}
	var files int
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		n := lineCount(data)
		_, allowed := overLimit[rel]
		switch {
		case n > maxLines && !allowed:
			t.Errorf("%s has %d lines (limit %d): split it by responsibility", rel, n, maxLines)
		case n <= maxLines && allowed:
			t.Errorf("%s has %d lines, within the limit: remove it from overLimit", rel, n)
		}
		if allowed {
			seen[rel] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("walked %d Go files from %s; is it the module root?", files, root)
	}
	for rel := range overLimit {
		if !seen[rel] {
			t.Errorf("overLimit names %s, which does not exist: remove it", rel)
		}
	}
}

func TestLineCount(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int{"": 0, "a": 0, "a\n": 1, "a\nb\n": 2, "\n\n\n": 3} {
		if got := lineCount([]byte(in)); got != want {
			t.Errorf("lineCount(%q) = %d, want %d", in, got, want)
		}
	}
}
