package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// Reading a stored bundle for the page: the archive is decrypted and
// checked again against the signed manifest at each reading (a file
// altered on disk shows as such), and only the files the page shows are
// decoded. The shapes below are the agent's collector outputs
// (agent/incident) as JSON: the hub reads them, it does not import them.

// RecentWindow: what was created or changed this long before the
// declaration is highlighted (the agent flags the same).
const RecentWindow = 30 * 24 * time.Hour

// maxShownFile bounds one collector file decoded for the page; larger ones
// are left to the export.
const maxShownFile = 16 << 20

// BundleProcess is a running process.
type BundleProcess struct {
	PID     int32  `json:"pid"`
	Name    string `json:"name"`
	Exe     string `json:"exe"`
	Cmdline string `json:"cmdline"`
	SHA256  string `json:"sha256"`
	Deleted bool   `json:"deleted"`
}

// BundleConn is a network connection.
type BundleConn struct {
	Proto  string `json:"proto"`
	Local  string `json:"local"`
	Remote string `json:"remote"`
	State  string `json:"state"`
	PID    int32  `json:"pid"`
}

// BundleListener is a listening port.
type BundleListener struct {
	Proto   string `json:"proto"`
	Address string `json:"address"`
	Port    int    `json:"port"`
	PID     int32  `json:"pid"`
	Process string `json:"process"`
}

// BundlePersist is a way for a program to start again by itself.
type BundlePersist struct {
	Kind     string    `json:"kind"`
	Location string    `json:"location"`
	Name     string    `json:"name"`
	Command  string    `json:"command"`
	Changed  time.Time `json:"changed"`
	Recent   bool      `json:"recent"`
}

// BundleEvent is a log event.
type BundleEvent struct {
	Source  string    `json:"source"`
	ID      int       `json:"id"`
	Time    time.Time `json:"time"`
	Unit    string    `json:"unit"`
	Message string    `json:"message"`
	Recent  bool      `json:"recent"`
}

// BundleFile is a recently modified executable.
type BundleFile struct {
	Path     string    `json:"path"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
	SHA256   string    `json:"sha256"`
	Recent   bool      `json:"-"`
}

// BundleContents is what the page shows of a bundle.
type BundleContents struct {
	Processes   []BundleProcess
	Connections []BundleConn
	Listeners   []BundleListener
	Persistence []BundlePersist
	Events      []BundleEvent
	Files       []BundleFile
	// Errors: a collector that failed, by name, with why (its status
	// is also in the manifest).
	Errors map[string]string
	// Recent counts the highlighted entries (persistence, events, files).
	Recent int
}

// IncidentView is one incident as its page shows it.
type IncidentView struct {
	store.Incident
	Manifest *protocol.IncidentManifest
	Notes    []store.IncidentNote
	Clock    Clock
	Contents *BundleContents // nil when it could not be read (ContentsErr)
	// ContentsErr says why the bundle could not be read.
	ContentsErr string
}

// Incident reads an incident, its notes, its clock and its bundle's
// contents; the view is audited (the bundle holds personal data).
func (x *Incidents) Incident(ctx context.Context, id int64, actor string) (*IncidentView, error) {
	in, err := x.cfg.Store.Incident(ctx, id)
	if err != nil {
		return nil, err
	}
	// Verified at ingestion; read back without the key (the agent may
	// have been revoked since).
	m, err := openStoredManifest(in.Manifest)
	if err != nil {
		return nil, err
	}
	v := &IncidentView{Incident: in, Manifest: m}
	if v.Notes, err = x.cfg.Store.IncidentNotes(ctx, id); err != nil {
		return nil, err
	}
	v.Clock = IncidentClock(in, x.cfg.Now())
	c, err := x.contents(in, m)
	if err != nil {
		v.ContentsErr = err.Error()
	} else {
		v.Contents = c
	}
	fillDrafts(v)
	x.app.Record(ctx, actor, "view_incident", fmt.Sprintf("incident %d", id), in.Entity)
	return v, nil
}

// openStoredManifest reads the payload of a stored manifest envelope
// without checking its signature again (it was checked when received).
func openStoredManifest(envelope []byte) (*protocol.IncidentManifest, error) {
	env, err := protocol.ParseEnvelope(envelope)
	if err != nil {
		return nil, err
	}
	payload, err := protocol.OpenUnverified(env, protocol.IncidentPayloadType)
	if err != nil {
		return nil, err
	}
	return protocol.ParseIncidentManifest(payload)
}

// walk decrypts the stored archive and calls each for every file, checked
// against the manifest.
func (x *Incidents) walk(in store.Incident, m *protocol.IncidentManifest, each func(name string, r io.Reader) error) error {
	f, err := os.Open(filepath.Join(x.cfg.Dir, filepath.Base(in.ArchiveFile)))
	if err != nil {
		return fmt.Errorf("archive introuvable dans le dossier des incidents : %w", err)
	}
	defer f.Close()
	plain, err := x.cfg.Keys.Decrypt(io.LimitReader(f, protocol.MaxIncidentArchiveSize+1))
	if err != nil {
		return err
	}
	return protocol.ReadIncidentArchive(plain, m, each)
}

type collectorOutput struct {
	Status string          `json:"status"`
	Error  string          `json:"error"`
	Data   json.RawMessage `json:"data"`
}

func (x *Incidents) contents(in store.Incident, m *protocol.IncidentManifest) (*BundleContents, error) {
	c := &BundleContents{Errors: map[string]string{}}
	ref := m.DeclaredAt
	if ref.IsZero() {
		ref = in.ReceivedAt
	}
	recent := func(t time.Time) bool {
		return !t.IsZero() && !t.After(ref.Add(24*time.Hour)) && ref.Sub(t) <= RecentWindow
	}
	err := x.walk(in, m, func(name string, r io.Reader) error {
		var dst any
		switch name {
		case "processes.json":
			dst = &c.Processes
		case "network.json":
			dst = &struct {
				C *[]BundleConn     `json:"connections"`
				L *[]BundleListener `json:"listeners"`
			}{&c.Connections, &c.Listeners}
		case "persistence.json":
			dst = &struct {
				E *[]BundlePersist `json:"entries"`
			}{&c.Persistence}
		case "events.json":
			dst = &struct {
				E *[]BundleEvent `json:"events"`
			}{&c.Events}
		case "recent-executables.json":
			dst = &struct {
				F *[]BundleFile `json:"files"`
			}{&c.Files}
		default:
			return nil
		}
		b, err := io.ReadAll(io.LimitReader(r, maxShownFile+1))
		if err != nil {
			return err
		}
		if len(b) > maxShownFile {
			c.Errors[name] = "trop volumineux pour la page : exportez le lot (vigie-hub incidents export)"
			return nil
		}
		var out collectorOutput
		if err := json.Unmarshal(b, &out); err != nil {
			c.Errors[name] = "illisible : " + err.Error()
			return nil
		}
		if out.Status != "ok" {
			c.Errors[name] = out.Status + " : " + out.Error
		}
		if len(out.Data) > 0 && string(out.Data) != "null" {
			if err := json.Unmarshal(out.Data, dst); err != nil {
				c.Errors[name] = "illisible : " + err.Error()
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Recent: the agent's flag, or the date itself against the
	// declaration (an older agent, a clock the agent did not trust).
	for i := range c.Persistence {
		p := &c.Persistence[i]
		p.Recent = p.Recent || recent(p.Changed)
	}
	for i := range c.Events {
		e := &c.Events[i]
		e.Recent = e.Recent || recent(e.Time)
	}
	for i := range c.Files {
		c.Files[i].Recent = recent(c.Files[i].Modified)
	}
	// What is recent first, then by date, newest first.
	slices.SortStableFunc(c.Persistence, func(a, b BundlePersist) int { return cmpRecent(a.Recent, b.Recent, a.Changed, b.Changed) })
	slices.SortStableFunc(c.Events, func(a, b BundleEvent) int { return cmpRecent(a.Recent, b.Recent, a.Time, b.Time) })
	slices.SortStableFunc(c.Files, func(a, b BundleFile) int { return cmpRecent(a.Recent, b.Recent, a.Modified, b.Modified) })
	for _, p := range c.Persistence {
		c.Recent += b2n(p.Recent)
	}
	for _, e := range c.Events {
		c.Recent += b2n(e.Recent)
	}
	for _, f := range c.Files {
		c.Recent += b2n(f.Recent)
	}
	return c, nil
}

func cmpRecent(ra, rb bool, ta, tb time.Time) int {
	if ra != rb {
		if ra {
			return -1
		}
		return 1
	}
	return tb.Compare(ta)
}

func b2n(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ExportIncident writes the decrypted bundle into dir (made 0700), one
// file per collector as the agent wrote it plus the manifest, each 0600,
// for the CSIRT's own tools; audited. dir must not hold the files yet.
func (x *Incidents) ExportIncident(ctx context.Context, id int64, dir, actor string) ([]string, error) {
	in, err := x.cfg.Store.Incident(ctx, id)
	if err != nil {
		return nil, err
	}
	m, err := openStoredManifest(in.Manifest)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	var written []string
	fail := func(err error) ([]string, error) {
		for _, p := range written {
			os.Remove(p)
		}
		return nil, err
	}
	err = x.walk(in, m, func(name string, r io.Reader) error {
		p := filepath.Join(dir, filepath.Base(name))
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		written = append(written, p)
		if _, err := io.Copy(f, r); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
	if err != nil {
		return fail(err)
	}
	mj, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return fail(err)
	}
	mp := filepath.Join(dir, "manifest.json")
	if err := os.WriteFile(mp, mj, 0o600); err != nil {
		return fail(err)
	}
	written = append(written, mp)
	x.app.Record(ctx, actor, "incident_export", fmt.Sprintf("incident %d", id), dir)
	return written, nil
}
