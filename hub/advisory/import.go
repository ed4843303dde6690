package advisory

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Limits on what one import reads, so that a hostile or broken archive
// cannot exhaust memory or disk: each member is bounded by MaxDocumentSize,
// and an archive by these.
const (
	MaxArchiveMembers = 200_000
	MaxArchiveBytes   = 2 << 30 // decompressed
)

// Stamp orders revisions of one document: the latest revision date, then the
// number of revisions (two revisions can share a day).
type Stamp struct {
	Revised   time.Time
	Revisions int
}

// Stamp of the document.
func (d *Document) Stamp() Stamp { return Stamp{Revised: d.Revised(), Revisions: len(d.Revisions)} }

// Newer reports whether s is a later revision than o.
func (s Stamp) Newer(o Stamp) bool {
	if !s.Revised.Equal(o.Revised) {
		return s.Revised.After(o.Revised)
	}
	return s.Revisions > o.Revisions
}

// Store keeps one copy of each document, the latest revision. The hub's
// store implements it over SQL; MemStore is the in-memory one.
type Store interface {
	// Stamp of the stored copy of ref; ok is false when there is none.
	Stamp(ref string) (s Stamp, ok bool, err error)
	// Put stores doc (and the bytes it was decoded from) in place of any
	// older copy.
	Put(doc *Document, raw []byte) error
}

// Outcome of importing one document.
type Outcome int

const (
	Unchanged Outcome = iota // the stored copy is as new or newer
	Added                    // first copy
	Replaced                 // a newer revision replaced the stored one
)

func (o Outcome) String() string {
	return [...]string{"inchangé", "ajouté", "remplacé"}[o]
}

// Result of an import: the documents that were added or replaced (what the
// matcher must look at), how many were already up to date, and one error per
// document or path that could not be read. Errors never stop the import.
type Result struct {
	Added     []*Document
	Replaced  []*Document
	Unchanged int
	Errors    []error // *DocumentError, naming the file or archive member
}

// Changed lists the added and replaced documents.
func (r *Result) Changed() []*Document {
	return append(append([]*Document(nil), r.Added...), r.Replaced...)
}

// Importer reads documents into a Store.
type Importer struct {
	Store Store
	// OnError, when set, sees each document error as it happens (the CLI
	// prints them while the import goes on); they are in Result.Errors too.
	OnError func(error)
}

// ImportDocument decodes one document and stores it unless the store
// already has this revision or a newer one. Decoding errors are returned as
// *DocumentError; a store error is returned as is.
func (im *Importer) ImportDocument(name string, data []byte) (*Document, Outcome, error) {
	doc, err := Parse(name, data)
	if err != nil {
		return nil, Unchanged, err
	}
	old, ok, err := im.Store.Stamp(doc.Reference)
	if err != nil {
		return nil, Unchanged, fmt.Errorf("lecture de %s dans le stockage: %w", doc.Reference, err)
	}
	if ok && !doc.Stamp().Newer(old) {
		return doc, Unchanged, nil
	}
	if err := im.Store.Put(doc, data); err != nil {
		return nil, Unchanged, fmt.Errorf("enregistrement de %s: %w", doc.Reference, err)
	}
	if ok {
		return doc, Replaced, nil
	}
	return doc, Added, nil
}

// errStore marks errors that must stop the import (the store failed), as
// opposed to a bad document, which is reported and skipped.
type errStore struct{ error }

// Import reads each path: a JSON file, a directory (recursively, every
// *.json file and archive in it), or a .tar, .tar.gz (.tgz) or .tar.zst
// (.tzst) archive of JSON files. It returns an error only when the store
// fails or ctx is done; unreadable paths and malformed documents are in
// Result.Errors, each naming its file or archive member, and the rest is
// imported.
func (im *Importer) Import(ctx context.Context, paths ...string) (*Result, error) {
	res := &Result{}
	w := &walker{
		report: func(err error) {
			res.Errors = append(res.Errors, err)
			if im.OnError != nil {
				im.OnError(err)
			}
		},
	}
	w.add = func(name string, data []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		doc, out, err := im.ImportDocument(name, data)
		var de *DocumentError
		switch {
		case errors.As(err, &de):
			w.report(err)
			return nil
		case err != nil:
			return errStore{err}
		}
		switch out {
		case Added:
			res.Added = append(res.Added, doc)
		case Replaced:
			res.Replaced = append(res.Replaced, doc)
		default:
			res.Unchanged++
		}
		return nil
	}
	for _, p := range paths {
		if err := w.path(p); err != nil {
			var se errStore
			if errors.As(err, &se) {
				return res, se.error
			}
			return res, err
		}
	}
	return res, nil
}

// walker visits paths; add stores one document (and returns only fatal
// errors), report records a bad path or document.
type walker struct {
	add    func(name string, data []byte) error
	report func(error)
}

func (w *walker) path(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		w.report(&DocumentError{Name: p, Err: err})
		return nil
	}
	if st.IsDir() {
		return w.dir(p)
	}
	if archiveKind(p) != "" {
		return w.archive(p)
	}
	data, err := readFile(p)
	if err != nil {
		w.report(&DocumentError{Name: p, Err: err})
		return nil
	}
	return w.add(p, data)
}

func (w *walker) dir(root string) error {
	var names []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			// An unreadable sub-directory is reported; the walk goes on.
			w.report(&DocumentError{Name: p, Err: err})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && (strings.HasSuffix(strings.ToLower(p), ".json") || archiveKind(p) != "") {
			names = append(names, p)
		}
		return nil
	})
	sort.Strings(names)
	for _, p := range names {
		if err := w.path(p); err != nil {
			return err
		}
	}
	return nil
}

func archiveKind(p string) string {
	l := strings.ToLower(p)
	switch {
	case strings.HasSuffix(l, ".tar"):
		return "tar"
	case strings.HasSuffix(l, ".tar.gz"), strings.HasSuffix(l, ".tgz"):
		return "tar.gz"
	case strings.HasSuffix(l, ".tar.zst"), strings.HasSuffix(l, ".tzst"):
		return "tar.zst"
	}
	return ""
}

func readFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readBounded(f)
}

// readBounded reads at most MaxDocumentSize bytes and says so when there
// was more.
func readBounded(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDocumentSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxDocumentSize {
		return nil, fmt.Errorf("%w (plus de %d octets)", ErrTooLarge, MaxDocumentSize)
	}
	return data, nil
}

func (w *walker) archive(p string) error {
	f, err := os.Open(p)
	if err != nil {
		w.report(&DocumentError{Name: p, Err: err})
		return nil
	}
	defer f.Close()
	var r io.Reader = f
	switch archiveKind(p) {
	case "tar.gz":
		gz, err := gzip.NewReader(f)
		if err != nil {
			w.report(&DocumentError{Name: p, Err: fmt.Errorf("archive gzip illisible: %w", err)})
			return nil
		}
		defer gz.Close()
		r = gz
	case "tar.zst":
		zr, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(256<<20))
		if err != nil {
			w.report(&DocumentError{Name: p, Err: fmt.Errorf("archive zstd illisible: %w", err)})
			return nil
		}
		defer zr.Close()
		r = zr
	}
	return w.tar(p, io.LimitReader(r, MaxArchiveBytes))
}

func (w *walker) tar(archive string, r io.Reader) error {
	tr := tar.NewReader(r)
	for n := 0; ; n++ {
		if n >= MaxArchiveMembers {
			w.report(&DocumentError{Name: archive, Err: fmt.Errorf("plus de %d fichiers dans l'archive: la suite est ignorée", MaxArchiveMembers)})
			return nil
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			// A truncated or corrupt archive: what was read is kept.
			w.report(&DocumentError{Name: archive, Err: fmt.Errorf("archive illisible après %d fichiers: %w", n, err)})
			return nil
		}
		if h.Typeflag != tar.TypeReg || !strings.HasSuffix(strings.ToLower(h.Name), ".json") {
			continue
		}
		name := archive + ":" + h.Name
		data, err := readBounded(tr)
		if err != nil {
			w.report(&DocumentError{Name: name, Err: err})
			continue
		}
		if err := w.add(name, data); err != nil {
			return err
		}
	}
}

// MemStore is a Store in memory, for tests and tools.
type MemStore struct {
	mu   sync.Mutex
	docs map[string]*Document
	raw  map[string][]byte
}

func NewMemStore() *MemStore {
	return &MemStore{docs: map[string]*Document{}, raw: map[string][]byte{}}
}

func (m *MemStore) Stamp(ref string) (Stamp, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.docs[ref]
	if !ok {
		return Stamp{}, false, nil
	}
	return d.Stamp(), true, nil
}

func (m *MemStore) Put(doc *Document, raw []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.docs[doc.Reference] = doc
	m.raw[doc.Reference] = append([]byte(nil), raw...)
	return nil
}

// Get returns the stored document.
func (m *MemStore) Get(ref string) (*Document, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.docs[ref]
	return d, ok
}

// Documents returns the stored documents sorted by reference.
func (m *MemStore) Documents() []*Document {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*Document, 0, len(m.docs))
	for _, d := range m.docs {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Reference < out[j].Reference })
	return out
}
