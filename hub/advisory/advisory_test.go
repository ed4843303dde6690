package advisory

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const testdata = "../../testdata/advisory"

func read(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, p))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseRealDocument(t *testing.T) {
	d, err := Parse("AVI-1096", read(t, "docs/CERTFR-2025-AVI-1096.json"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Reference != "CERTFR-2025-AVI-1096" || d.Kind() != Avis {
		t.Errorf("reference %q kind %q", d.Reference, d.Kind())
	}
	if got := d.Published().Format(time.DateOnly); got != "2025-12-11" {
		t.Errorf("published %s", got)
	}
	if got := d.Revised().Format(time.DateOnly); got != "2025-12-15" {
		t.Errorf("revised %s", got)
	}
	if len(d.AffectedSystems) != 2 || d.AffectedSystems[0].Product.Vendor.Name != "Google" ||
		!strings.Contains(d.AffectedSystems[0].Description, "143.0.7499.109/.110") {
		t.Errorf("affected systems %+v", d.AffectedSystems)
	}
	if len(d.CVEs) == 0 || !strings.HasPrefix(d.CVEs[0].Name, "CVE-2025-") {
		t.Errorf("cves %+v", d.CVEs)
	}
	if !strings.Contains(d.Content, "## Solution") {
		t.Errorf("content lacks the solution section")
	}
	if d.URL() != "https://www.cert.ssi.gouv.fr/avis/CERTFR-2025-AVI-1096/" {
		t.Errorf("url %s", d.URL())
	}
}

func TestParseAlert(t *testing.T) {
	d, err := Parse("ale", read(t, "alerte/CERTFR-2025-ALE-012.json"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Kind() != Alerte || d.ClosedAt != nil {
		t.Errorf("kind %s closed %v", d.Kind(), d.ClosedAt)
	}
	if !strings.HasPrefix(d.URL(), "https://www.cert.ssi.gouv.fr/alerte/") {
		t.Errorf("url %s", d.URL())
	}
	closed := strings.Replace(string(read(t, "alerte/CERTFR-2025-ALE-012.json")), `"closed_at": ""`, `"closed_at": "2025-10-20T00:00:00.000000"`, 1)
	d, err = Parse("ale", []byte(closed))
	if err != nil || d.ClosedAt == nil || d.ClosedAt.Format(time.DateOnly) != "2025-10-20" {
		t.Errorf("closed alert: %v %v", d, err)
	}
}

func TestParseErrorsNameTheDocument(t *testing.T) {
	cases := map[string]string{
		"bad/truncated.json":     "JSON invalide",
		"bad/bad-reference.json": "référence invalide",
		"bad/bad-date.json":      "date illisible",
		"bad/no-revision.json":   "aucune révision",
	}
	for file, want := range cases {
		_, err := Parse(file, read(t, file))
		var de *DocumentError
		if !errors.As(err, &de) || de.Name != file {
			t.Errorf("%s: error %v does not name the document", file, err)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %q, want it to say %q", file, err, want)
		}
	}
	big := make([]byte, MaxDocumentSize+1)
	if _, err := Parse("big", big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized document: %v", err)
	}
	if _, err := Parse("two", []byte(`{"reference":"CERTFR-2025-AVI-0001"} {}`)); err == nil {
		t.Error("trailing data accepted")
	}
}

func docNames(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(testdata, "docs"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// writeTar archives the fixture documents (and extra members) as .tar or
// .tar.gz.
func writeTar(t *testing.T, path string, gz bool, extra map[string][]byte) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var w io.Writer = f
	if gz {
		zw := gzip.NewWriter(f)
		defer zw.Close()
		w = zw
	}
	tw := tar.NewWriter(w)
	defer tw.Close()
	add := func(name string, b []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(b)
	}
	for _, n := range docNames(t) {
		add("avis/"+n, read(t, "docs/"+n))
	}
	for n, b := range extra {
		add(n, b)
	}
}

func TestImportFormats(t *testing.T) {
	dir := t.TempDir()
	tarPath, tgzPath := filepath.Join(dir, "a.tar"), filepath.Join(dir, "a.tar.gz")
	writeTar(t, tarPath, false, nil)
	writeTar(t, tgzPath, true, nil)
	n := len(docNames(t))
	for _, p := range []string{filepath.Join(testdata, "docs"), filepath.Join(testdata, "docs.tar.zst"), tarPath, tgzPath} {
		st := NewMemStore()
		im := &Importer{Store: st}
		res, err := im.Import(context.Background(), p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(res.Added) != n || len(res.Errors) != 0 {
			t.Errorf("%s: added %d (want %d), errors %v", p, len(res.Added), n, res.Errors)
		}
		// Idempotent: the same import again changes nothing.
		res, err = im.Import(context.Background(), p)
		if err != nil || len(res.Added)+len(res.Replaced) != 0 || res.Unchanged != n {
			t.Errorf("%s: second import %+v %v", p, res, err)
		}
		if len(st.Documents()) != n {
			t.Errorf("%s: %d stored", p, len(st.Documents()))
		}
	}
}

func TestImportSingleFile(t *testing.T) {
	st := NewMemStore()
	res, err := (&Importer{Store: st}).Import(context.Background(), filepath.Join(testdata, "docs/CERTFR-2025-AVI-1124.json"))
	if err != nil || len(res.Added) != 1 || res.Added[0].Reference != "CERTFR-2025-AVI-1124" {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestImportRevisions(t *testing.T) {
	st := NewMemStore()
	im := &Importer{Store: st}
	newer := filepath.Join(testdata, "docs/CERTFR-2025-AVI-1096.json")
	older := filepath.Join(testdata, "revisions/CERTFR-2025-AVI-1096-rev1.json")
	res, _ := im.Import(context.Background(), older)
	if len(res.Added) != 1 {
		t.Fatalf("older first: %+v", res)
	}
	res, _ = im.Import(context.Background(), newer)
	if len(res.Replaced) != 1 {
		t.Fatalf("newer revision did not replace: %+v", res)
	}
	res, _ = im.Import(context.Background(), older)
	if res.Unchanged != 1 || len(res.Replaced) != 0 {
		t.Fatalf("older revision replaced the newer: %+v", res)
	}
	d, _ := st.Get("CERTFR-2025-AVI-1096")
	if len(d.Revisions) != 2 {
		t.Errorf("stored copy has %d revisions", len(d.Revisions))
	}
}

// Bad documents in a directory and in an archive are reported by name and
// the good ones are still imported.
func TestImportReportsAndContinues(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "deep", "er")
	os.MkdirAll(sub, 0o755)
	for _, n := range []string{"truncated.json", "bad-date.json"} {
		os.WriteFile(filepath.Join(sub, n), read(t, "bad/"+n), 0o644)
	}
	os.WriteFile(filepath.Join(dir, "ok.json"), read(t, "docs/CERTFR-2025-AVI-1124.json"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o644)
	tarPath := filepath.Join(dir, "sub", "mixed.tar.gz")
	os.MkdirAll(filepath.Dir(tarPath), 0o755)
	writeTar(t, tarPath, true, map[string][]byte{"avis/broken.json": read(t, "bad/no-revision.json")})

	var seen []string
	im := &Importer{Store: NewMemStore(), OnError: func(err error) { seen = append(seen, err.Error()) }}
	res, err := im.Import(context.Background(), dir, filepath.Join(dir, "missing.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != len(docNames(t)) { // AVI-1124 twice: once added, once unchanged
		t.Errorf("added %d", len(res.Added))
	}
	want := []string{"truncated.json", "bad-date.json", "mixed.tar.gz:avis/broken.json", "missing.json"}
	if len(res.Errors) != len(want) || len(seen) != len(want) {
		t.Fatalf("errors %v", res.Errors)
	}
	all := strings.Join(seen, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("no error names %s in:\n%s", w, all)
		}
	}
}

func TestImportCorruptArchive(t *testing.T) {
	dir := t.TempDir()
	full := read(t, "docs.tar.zst")
	p := filepath.Join(dir, "cut.tar.zst")
	os.WriteFile(p, full[:len(full)/2], 0o644)
	res, err := (&Importer{Store: NewMemStore()}).Import(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) == 0 || !strings.Contains(res.Errors[0].Error(), "cut.tar.zst") {
		t.Errorf("truncated archive not reported: %+v", res.Errors)
	}
}

type failingStore struct{ *MemStore }

func (failingStore) Put(*Document, []byte) error { return errors.New("disque plein") }

func TestImportStoreErrorStops(t *testing.T) {
	_, err := (&Importer{Store: failingStore{NewMemStore()}}).Import(context.Background(), filepath.Join(testdata, "docs"))
	if err == nil || !strings.Contains(err.Error(), "disque plein") {
		t.Fatalf("store error: %v", err)
	}
}

// FuzzParse: whatever the input, Parse either fails with a *DocumentError
// naming the document, or returns a document that satisfies the checks
// (valid reference, at least one dated revision, a title) and survives a
// JSON round trip unchanged in those fields.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"docs/CERTFR-2025-AVI-1096.json", "alerte/CERTFR-2025-ALE-012.json", "bad/bad-date.json", "bad/truncated.json"} {
		b, err := os.ReadFile(filepath.Join(testdata, p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Parse("fuzz.json", b)
		if err != nil {
			var de *DocumentError
			if !errors.As(err, &de) || de.Name != "fuzz.json" {
				t.Fatalf("error does not name the document: %v", err)
			}
			return
		}
		if !referenceRE.MatchString(d.Reference) || strings.TrimSpace(d.Title) == "" || len(d.Revisions) == 0 || d.Revised().IsZero() {
			t.Fatalf("accepted an invalid document: %+v", d)
		}
		if d.Published().After(d.Revised()) {
			t.Fatalf("published %v after revised %v", d.Published(), d.Revised())
		}
	})
}
