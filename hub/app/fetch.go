package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/advisory"
)

// DefaultCERTFR is where « advisories fetch » reads CERT-FR's JSON API.
const DefaultCERTFR = "https://www.cert.ssi.gouv.fr"

// MaxIndexSize bounds one index of CERT-FR's API (the full list of
// advisories since 2000 is a few megabytes).
const MaxIndexSize = 64 << 20

// FetchConfig says where and what to fetch.
type FetchConfig struct {
	BaseURL string       // default DefaultCERTFR; https only
	Since   time.Time    // only documents revised on or after (zero: all)
	Client  *http.Client // the hub's client (proxy, timeouts); default one with a 60 s timeout
}

// indexEntry is one line of /avis/json/ or /alerte/json/.
type indexEntry struct {
	Reference        string `json:"reference"`
	JSONURL          string `json:"json_url"`
	LastRevisionDate string `json:"last_revision_date"`
}

// revisionDate reads the index's dates: "2025-06-11T00:00:00.000000", no
// zone (UTC), or a plain date.
func revisionDate(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05.999999", "2006-01-02T15:04:05.999999Z07:00", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("date de révision illisible %q", s)
}

// Fetch reads CERT-FR's indexes of advisories and alerts and imports the
// documents that are new or revised since the stored copy (and revised on
// or after cfg.Since), then matches them. A document that cannot be
// fetched or read is in the result's errors and the rest is imported; an
// index that cannot be read is an error.
func (m *Advisories) Fetch(ctx context.Context, cfg FetchConfig, by string, onError func(error)) (ImportResult, error) {
	base, err := url.Parse(strings.TrimRight(cmpOr(cfg.BaseURL, DefaultCERTFR), "/"))
	if err != nil || base.Scheme != "https" || base.Host == "" {
		return ImportResult{}, fmt.Errorf("%w : adresse de base %q : https://hôte attendu", ErrBadInput, cfg.BaseURL)
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: 60 * time.Second}
	}
	st := storeAdapter{ctx, m.app.cfg.Store, m.app.Now()}
	im := &advisory.Importer{Store: st}
	res := &advisory.Result{}
	report := func(err error) {
		res.Errors = append(res.Errors, err)
		if onError != nil {
			onError(err)
		}
	}
	for _, kind := range []string{"avis", "alerte"} {
		var index []indexEntry
		if err := getJSON(ctx, client, base.JoinPath(kind, "json").String()+"/", MaxIndexSize, &index); err != nil {
			return ImportResult{}, fmt.Errorf("index des %s : %w", kind, err)
		}
		for _, e := range index {
			if err := ctx.Err(); err != nil {
				return ImportResult{}, err
			}
			rev, err := revisionDate(e.LastRevisionDate)
			if err != nil {
				report(&advisory.DocumentError{Name: kind + "/json: " + e.Reference, Err: err})
				continue
			}
			if !cfg.Since.IsZero() && rev.Before(cfg.Since) {
				continue
			}
			if stored, ok, err := st.Stamp(e.Reference); err != nil {
				return ImportResult{}, err
			} else if ok && !rev.After(stored.Revised) {
				res.Unchanged++
				continue
			}
			doc, err := documentURL(base, e.JSONURL)
			if err != nil {
				report(&advisory.DocumentError{Name: e.Reference, Err: err})
				continue
			}
			data, err := get(ctx, client, doc, advisory.MaxDocumentSize)
			if err != nil {
				report(&advisory.DocumentError{Name: doc, Err: err})
				continue
			}
			d, out, err := im.ImportDocument(doc, data)
			var de *advisory.DocumentError
			switch {
			case errors.As(err, &de):
				report(err)
			case err != nil:
				return ImportResult{}, err
			case out == advisory.Added:
				res.Added = append(res.Added, d)
			case out == advisory.Replaced:
				res.Replaced = append(res.Replaced, d)
			default:
				res.Unchanged++
			}
		}
	}
	m.noteImported(m.app.Now())
	out := m.apply(res)
	m.app.Record(ctx, by, "advisories_fetch", base.String(),
		fmt.Sprintf("ajoutés %d, remplacés %d, inchangés %d, erreurs %d", out.Added, out.Replaced, out.Unchanged, len(out.Errors)))
	return out, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// documentURL resolves an index's json_url, a path on the index's host:
// an entry pointing elsewhere is refused (the hub's proxy and trust are
// for CERT-FR only).
func documentURL(base *url.URL, ref string) (string, error) {
	u, err := url.Parse(ref)
	if err != nil || ref == "" {
		return "", fmt.Errorf("json_url illisible %q", ref)
	}
	abs := base.ResolveReference(u)
	if abs.Scheme != base.Scheme || abs.Host != base.Host {
		return "", fmt.Errorf("json_url %q hors de %s : refusé", ref, base.Host)
	}
	return abs.String(), nil
}

func get(ctx context.Context, c *http.Client, u string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s : statut HTTP %d", u, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s : %w", u, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("GET %s : réponse de plus de %d octets", u, limit)
	}
	return data, nil
}

func getJSON(ctx context.Context, c *http.Client, u string, limit int64, v any) error {
	data, err := get(ctx, c, u, limit)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("GET %s : JSON illisible : %w", u, err)
	}
	return nil
}
