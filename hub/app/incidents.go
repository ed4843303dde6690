package app

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/hubkeys"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// Declared incidents (issue 23): ingestion of a signed manifest and its
// encrypted archive, shared by the API (POST /api/v1/incidents) and the
// folder import; the follow-up, the regulatory clock and the privacy rules
// are in the incidents_*.go files beside this one.

// DefaultIncidentRetentionDays is how long an incident and its bundle are
// kept (serve --incident-retention): the bundle holds account names,
// command lines and logons; three months cover the investigation and the
// final report due one month after the notification.
const DefaultIncidentRetentionDays = 90

// IncidentDir is the folder, inside the hub's data folder, that holds the
// encrypted archives (0700, files 0600).
const IncidentDir = "incidents"

// Errors of an incident refused at ingestion; each says why in French.
var (
	ErrIncidentMalformed = errors.New("déclaration d'incident illisible")
	ErrIncidentSignature = errors.New("signature du manifeste invalide")
	ErrIncidentMismatch  = errors.New("l'archive ne correspond pas au manifeste signé")
	ErrIncidentNotForHub = errors.New("archive non chiffrée pour ce hub")
)

// IncidentAlerter raises the alert of a new incident (*alert.Engine).
type IncidentAlerter interface {
	IncidentDeclared(ctx context.Context, in store.Incident, summary string) error
}

// IncidentConfig holds the incidents service's dependencies.
type IncidentConfig struct {
	Store store.Store
	// Dir is the folder of the archives (DataDir/IncidentDir).
	Dir string
	// Keys are the hub's keys: the age identity opens the archives.
	Keys   *hubkeys.Keys
	Alerts IncidentAlerter // nil: no alert
	Now    func() time.Time
	Logger *slog.Logger
}

// Incidents is the hub's incidents service.
type Incidents struct {
	cfg IncidentConfig
	app *App
}

// NewIncidents returns the service; it makes the archives' folder.
func NewIncidents(cfg IncidentConfig) (*Incidents, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Keys == nil || cfg.Dir == "" {
		return nil, errors.New("incidents : clés du hub et dossier des archives nécessaires")
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("dossier des incidents %s : %w", cfg.Dir, err)
	}
	return &Incidents{cfg: cfg, app: New(Config{Store: cfg.Store, Now: cfg.Now, Logger: cfg.Logger})}, nil
}

// Ingested is what Ingest stored, or found already stored.
type Ingested struct {
	Incident  store.Incident
	Duplicate bool // the same archive from the same agent was already stored
	Manifest  *protocol.IncidentManifest
}

// Ingest checks and files a declared incident: manifest is the DSSE
// envelope as received, signed by an enrolled, unrevoked agent's key
// (store.ErrNotFound, store.ErrRevoked otherwise), naming that agent; the
// archive is read once, streaming, into a temporary file of the archives'
// folder while it is hashed: more bytes than the manifest announces, or
// another SHA-256, and the file is deleted (ErrIncidentMismatch). The
// archive must be encrypted to this hub (ErrIncidentNotForHub): it is
// then decrypted, streaming again, and each file checked against the
// manifest before the incident is filed. It stays encrypted at rest.
// source says where it came from ("upload", "import"). Nothing of the
// archive is held in memory beyond the copy buffers.
func (x *Incidents) Ingest(ctx context.Context, manifest []byte, archive io.Reader, source string) (Ingested, error) {
	agent, m, err := x.openManifest(ctx, manifest)
	if err != nil {
		return Ingested{}, err
	}
	tmp, err := x.receive(archive, m)
	if err != nil {
		return Ingested{}, err
	}
	defer os.Remove(tmp) // after the rename, removes nothing
	final := filepath.Join(x.cfg.Dir, archiveName(agent.ID, m.ArchiveSHA256))
	_, statErr := os.Stat(final)
	created := errors.Is(statErr, os.ErrNotExist)
	if created {
		if err := os.Rename(tmp, final); err != nil {
			return Ingested{}, err
		}
		syncDir(x.cfg.Dir)
	}
	in := store.Incident{AgentID: agent.ID, Hostname: protocol.Clip(m.Hostname, 200), Kind: m.Answers.Kind, AwareAt: m.Answers.AwareAt,
		DeclaredAt: m.DeclaredAt, ReceivedAt: x.cfg.Now(), PersonalData: m.Answers.PersonalData != nil && *m.Answers.PersonalData,
		Manifest: manifest, ArchiveSHA256: m.ArchiveSHA256, ArchiveSize: m.ArchiveSize, ArchiveFile: filepath.Base(final), Source: source}
	got, err := x.cfg.Store.CreateIncident(ctx, in)
	if errors.Is(err, store.ErrExists) {
		return Ingested{Incident: got, Duplicate: true, Manifest: m}, nil
	}
	if err != nil {
		if created {
			os.Remove(final)
		}
		return Ingested{}, err
	}
	x.app.Record(ctx, "agent:"+agent.ID, "incident_declared", fmt.Sprintf("incident %d", got.ID),
		fmt.Sprintf("%s, %s, %s (%s, %d octets)", got.Entity, got.Hostname, got.Kind, source, got.ArchiveSize))
	if x.cfg.Alerts != nil {
		if err := x.cfg.Alerts.IncidentDeclared(ctx, got, m.Answers.Summary); err != nil {
			x.cfg.Logger.Error("incident: alert not raised", "incident", got.ID, "err", err)
		}
	}
	return Ingested{Incident: got, Manifest: m}, nil
}

// openManifest verifies the envelope against the key of the agent it
// names and returns both.
func (x *Incidents) openManifest(ctx context.Context, manifest []byte) (store.Agent, *protocol.IncidentManifest, error) {
	if len(manifest) > protocol.MaxIncidentEnvelopeSize {
		return store.Agent{}, nil, fmt.Errorf("%w : manifeste de plus de %d octets", ErrIncidentMalformed, protocol.MaxIncidentEnvelopeSize)
	}
	env, err := protocol.ParseEnvelope(manifest)
	if err != nil || len(env.Signatures) != 1 || env.PayloadType == "" {
		return store.Agent{}, nil, fmt.Errorf("%w : manifeste signé attendu (enveloppe DSSE, une signature)", ErrIncidentMalformed)
	}
	agent, err := x.cfg.Store.Agent(ctx, env.Signatures[0].KeyID)
	if err != nil {
		return store.Agent{}, nil, err
	}
	if agent.Revoked() {
		return store.Agent{}, nil, store.ErrRevoked
	}
	payload, err := protocol.Verify(env, protocol.IncidentPayloadType, ed25519.PublicKey(agent.PublicKey))
	if err != nil {
		return store.Agent{}, nil, fmt.Errorf("%w : %v", ErrIncidentSignature, err)
	}
	m, err := protocol.ParseIncidentManifest(payload)
	if err != nil {
		return store.Agent{}, nil, fmt.Errorf("%w : %v", ErrIncidentMalformed, err)
	}
	switch {
	case m.AgentID != agent.ID:
		return store.Agent{}, nil, fmt.Errorf("%w : le manifeste nomme l'agent %q, signé par %s", ErrIncidentSignature, m.AgentID, agent.ID)
	case m.ArchiveSHA256 == "" || m.ArchiveSize <= 0:
		return store.Agent{}, nil, fmt.Errorf("%w : le manifeste ne donne ni la taille ni l'empreinte de l'archive (agent trop ancien)", ErrIncidentMalformed)
	case !m.Encrypted || strings.TrimSpace(m.Recipient) != x.cfg.Keys.Age.Recipient().String():
		return store.Agent{}, nil, fmt.Errorf("%w : chiffrée pour %q ; remettez-la au CSIRT qui détient cette clé", ErrIncidentNotForHub, m.Recipient)
	}
	return agent, m, nil
}

// receive streams the archive into a temporary file while hashing it and
// checks it against the manifest; it returns the file's path, or deletes
// it and says why.
func (x *Incidents) receive(archive io.Reader, m *protocol.IncidentManifest) (path string, err error) {
	f, err := os.CreateTemp(x.cfg.Dir, ".receiving-*")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(archive, m.ArchiveSize+1))
	if err != nil {
		return "", fmt.Errorf("réception de l'archive : %w", err)
	}
	if n != m.ArchiveSize || hex.EncodeToString(h.Sum(nil)) != m.ArchiveSHA256 {
		return "", fmt.Errorf("%w : %d octets reçus (%d annoncés) ou empreinte SHA-256 différente", ErrIncidentMismatch, n, m.ArchiveSize)
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	if err := x.check(f, m); err != nil {
		return "", err
	}
	return f.Name(), f.Close()
}

// check decrypts the archive and reads every file against the manifest,
// streaming.
func (x *Incidents) check(r io.Reader, m *protocol.IncidentManifest) error {
	plain, err := x.cfg.Keys.Decrypt(r)
	if errors.Is(err, hubkeys.ErrNotForThisHub) {
		return fmt.Errorf("%w : %v", ErrIncidentNotForHub, err)
	}
	if err != nil {
		return fmt.Errorf("%w : %v", ErrIncidentMismatch, err)
	}
	if err := protocol.ReadIncidentArchive(plain, m, nil); err != nil {
		return fmt.Errorf("%w : %v", ErrIncidentMismatch, err)
	}
	return nil
}

// archiveName is the archive's file name: one per agent and archive, as
// the store's uniqueness.
func archiveName(agentID, sha string) string {
	return "incident-" + agentID + "-" + sha + ".tar.age"
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
