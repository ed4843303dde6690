// Package advisory reads CERT-FR advisories ("avis") and alerts ("alertes")
// exactly as the CERT-FR JSON API serves them (/avis/CERTFR-YYYY-AVI-NNNN/json/)
// and imports them, from files, directories and archives, into a store where
// a newer revision replaces an older one.
//
// Reading what an advisory's affected systems mean is the job of the
// sub-packages: affected (the grammar of the entries), alias (CERT-FR product
// names to installed names), version (orderings) and match (exposures).
package advisory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// MaxDocumentSize bounds one document. The largest of the 2,251 advisories
// of 2024-2025 is 234 KB (a Red Hat advisory listing hundreds of products);
// 4 MiB leaves room while keeping a hostile archive from exhausting memory.
const MaxDocumentSize = 4 << 20

// Kind of publication, from the reference.
type Kind string

const (
	Avis   Kind = "avis"   // CERTFR-YYYY-AVI-NNNN
	Alerte Kind = "alerte" // CERTFR-YYYY-ALE-NNN
)

// Document is one advisory or alert with the fields of the CERT-FR API
// (https://www.cert.ssi.gouv.fr/openapi.json). Fields the project does not
// use are still decoded so that a stored document can be shown in full.
type Document struct {
	Schema                 string           `json:"$ref"`
	Reference              string           `json:"reference"`
	Title                  string           `json:"title"`
	Summary                string           `json:"summary"`
	Content                string           `json:"content"` // Markdown, with a "## Solution(s)" section
	AffectedSystems        []AffectedSystem `json:"affected_systems"`
	AffectedSystemsContent string           `json:"affected_systems_content"` // free text, often empty or null
	CVEs                   []CVE            `json:"cves"`
	Risks                  []Risk           `json:"risks"`
	Revisions              []Revision       `json:"revisions"`
	VendorAdvisories       []VendorAdvisory `json:"vendor_advisories"`
	Links                  []Link           `json:"links"`
	// ClosedAt is set on alerts once the threat is over; nil while it is
	// active and always nil on advisories.
	ClosedAt *Time `json:"closed_at,omitempty"`
}

// AffectedSystem is one entry of affected_systems: the description is the
// text to read ("FortiOS versions 7.4.x antérieures à 7.4.5"); product.name
// is "N/A" in about 40 % of entries.
type AffectedSystem struct {
	Description string  `json:"description"`
	Product     Product `json:"product"`
}

type Product struct {
	Name   string `json:"name"`
	Vendor Vendor `json:"vendor"`
}

type Vendor struct {
	Name  string `json:"name"`
	SCADA bool   `json:"scada"`
}

type CVE struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

type Risk struct {
	Description string `json:"description"`
}

type Revision struct {
	Description string `json:"description"`
	Date        Time   `json:"revision_date"`
}

type VendorAdvisory struct {
	Title       string `json:"title"`
	URL         string `json:"url"`
	PublishedAt *Date  `json:"published_at"` // null in about 12 % of entries
}

type Link struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// timeLayout is the API's date-time form: no zone (French publications;
// treated as UTC, the day is what matters).
const timeLayout = "2006-01-02T15:04:05.999999"

// Time is an API date-time.
type Time struct{ time.Time }

func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("date attendue, lu %s", truncate(string(b), 40))
	}
	if s == "" {
		return nil // an alert's closed_at while the threat is active
	}
	v, err := time.Parse(timeLayout, s)
	if err != nil {
		// Some producers add a zone; accept it rather than lose the document.
		if v2, err2 := time.Parse(time.RFC3339Nano, s); err2 == nil {
			t.Time = v2.UTC()
			return nil
		}
		return fmt.Errorf("date illisible %q (attendu %s)", truncate(s, 40), timeLayout)
	}
	t.Time = v
	return nil
}

func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte(`""`), nil
	}
	return json.Marshal(t.Time.Format(timeLayout))
}

// Date is an API calendar date (vendor_advisories[].published_at).
type Date struct{ time.Time }

func (d *Date) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("date attendue, lu %s", truncate(string(b), 40))
	}
	v, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return fmt.Errorf("date illisible %q (attendu AAAA-MM-JJ)", truncate(s, 40))
	}
	d.Time = v
	return nil
}

func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.Time.Format(time.DateOnly)) }

var referenceRE = regexp.MustCompile(`^CERTFR-(\d{4})-(AVI|ALE)-(\d{3,4})$`)

// Kind is avis or alerte, from the reference.
func (d *Document) Kind() Kind {
	if m := referenceRE.FindStringSubmatch(d.Reference); m != nil && m[2] == "ALE" {
		return Alerte
	}
	return Avis
}

// Published is the date of the first revision ("Version initiale").
func (d *Document) Published() time.Time {
	var first time.Time
	for _, r := range d.Revisions {
		if first.IsZero() || r.Date.Before(first) {
			first = r.Date.Time
		}
	}
	return first
}

// Revised is the date of the latest revision: the one that decides whether a
// stored copy is replaced.
func (d *Document) Revised() time.Time {
	var last time.Time
	for _, r := range d.Revisions {
		if r.Date.After(last) {
			last = r.Date.Time
		}
	}
	return last
}

// URL is the advisory's page on cert.ssi.gouv.fr.
func (d *Document) URL() string {
	path := "avis"
	if d.Kind() == Alerte {
		path = "alerte"
	}
	return "https://www.cert.ssi.gouv.fr/" + path + "/" + d.Reference + "/"
}

// DocumentError says which document could not be read and why.
type DocumentError struct {
	Name string // file name, archive member ("avis.tar.zst:2025/CERTFR-2025-AVI-0001.json") or URL
	Err  error
}

func (e *DocumentError) Error() string { return e.Name + ": " + e.Err.Error() }
func (e *DocumentError) Unwrap() error { return e.Err }

// ErrTooLarge is wrapped by the error for a document over MaxDocumentSize.
var ErrTooLarge = errors.New("document trop volumineux")

// Parse decodes and checks one document. name only labels errors. The
// checks are those a consumer relies on: a well-formed reference, at least
// one dated revision, a title, and at most MaxDocumentSize bytes.
func Parse(name string, data []byte) (*Document, error) {
	fail := func(format string, args ...any) (*Document, error) {
		return nil, &DocumentError{Name: name, Err: fmt.Errorf(format, args...)}
	}
	if len(data) > MaxDocumentSize {
		return nil, &DocumentError{Name: name, Err: fmt.Errorf("%w (%d octets, maximum %d)", ErrTooLarge, len(data), MaxDocumentSize)}
	}
	var d Document
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&d); err != nil {
		return fail("JSON invalide: %v", err)
	}
	if dec.More() {
		return fail("JSON invalide: données après le document")
	}
	if d.Reference == "" {
		return fail("champ reference absent")
	}
	if !referenceRE.MatchString(d.Reference) {
		return fail("référence invalide %q (attendu CERTFR-AAAA-AVI-NNNN ou CERTFR-AAAA-ALE-NNN)", truncate(d.Reference, 60))
	}
	if strings.TrimSpace(d.Title) == "" {
		return fail("%s: titre vide", d.Reference)
	}
	if len(d.Revisions) == 0 {
		return fail("%s: aucune révision (revisions[] vide)", d.Reference)
	}
	for i, r := range d.Revisions {
		if r.Date.IsZero() {
			return fail("%s: révision %d sans date", d.Reference, i+1)
		}
		// CERT-FR publishes since 2000; a date outside this century is a
		// broken document, and would break the ordering of revisions.
		if y := r.Date.Year(); y < 2000 || y >= 2100 {
			return fail("%s: révision %d datée de l'an %d", d.Reference, i+1, y)
		}
	}
	if d.ClosedAt != nil && d.ClosedAt.IsZero() {
		d.ClosedAt = nil
	}
	return &d, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
