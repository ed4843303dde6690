package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/advisory"
	"github.com/vigie-cyber/vigie/hub/advisory/match"
	"github.com/vigie-cyber/vigie/hub/store"
)

// Importing advisories: files, folders, archives, through the store.

// ImportResult says what an import or a fetch did.
type ImportResult struct {
	Added, Replaced, Unchanged int
	Errors                     []error
	NewExposures               int // certain exposures that were not there before
}

// storeAdapter is the hub's store as the importer's advisory.Store.
type storeAdapter struct {
	ctx context.Context
	st  store.Store
	now time.Time
}

func (s storeAdapter) Stamp(ref string) (advisory.Stamp, bool, error) {
	rev, n, ok, err := s.st.AdvisoryStamp(s.ctx, ref)
	return advisory.Stamp{Revised: rev, Revisions: n}, ok, err
}

func (s storeAdapter) Put(doc *advisory.Document, raw []byte) error {
	_, err := s.st.PutAdvisory(s.ctx, store.AdvisoryRecord{Reference: doc.Reference, Kind: string(doc.Kind()), Title: doc.Title,
		Published: doc.Published(), Revised: doc.Revised(), Revisions: len(doc.Revisions), Raw: raw, ImportedAt: s.now})
	return err
}

// Import reads CERT-FR documents from paths (files, directories, .tar,
// .tar.gz, .tar.zst) into the store and matches the new and revised ones
// against the region. onError sees each malformed document as it is met.
func (m *Advisories) Import(ctx context.Context, by string, onError func(error), paths ...string) (ImportResult, error) {
	im := &advisory.Importer{Store: storeAdapter{ctx, m.app.cfg.Store, m.app.Now()}, OnError: onError}
	res, err := im.Import(ctx, paths...)
	if err != nil {
		return ImportResult{}, err
	}
	m.noteImported(m.app.Now())
	out := m.apply(res)
	m.app.Record(ctx, by, "advisories_import", strings.Join(paths, " "),
		fmt.Sprintf("ajoutés %d, remplacés %d, inchangés %d, erreurs %d", out.Added, out.Replaced, out.Unchanged, len(out.Errors)))
	return out, nil
}

// apply matches an import's new and revised documents.
func (m *Advisories) apply(res *advisory.Result) ImportResult {
	out := ImportResult{Added: len(res.Added), Replaced: len(res.Replaced), Unchanged: res.Unchanged, Errors: res.Errors}
	cutoff := m.app.Now().Add(-m.cfg.Window)
	var fresh []match.Exposure
	for _, doc := range res.Changed() {
		if doc.Revised().Before(cutoff) {
			continue // stored, listed, not matched (outside the window)
		}
		fresh = append(fresh, m.putAdvisory(doc)...)
	}
	out.NewExposures = len(fresh)
	m.notify(fresh)
	return out
}
