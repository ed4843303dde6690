package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/store"
)

// Offline files (« vigie-hub import », issue 21): what an isolated site
// carries to its hub on a USB stick. The importer walks the paths it is
// given, hands each file to the kind that claims it (offline scorecards
// now, incident bundles later: issue 23 adds a kind, not a new importer),
// and reports each file once, never stopping at a bad one.

// File statuses (FileReport.Status, the JSON of « import --format json »).
const (
	FileStored     = "stored"      // a new scorecard, now the host's latest
	FileDuplicate  = "duplicate"   // already on the hub: nothing written
	FileHistory    = "history"     // genuine but older than the host's latest: kept in its history
	FileRefused    = "refused"     // Reason says why
	FileIgnored    = "ignored"     // found in a folder, not a Vigie file
	FileNotHandled = "not_handled" // a Vigie file this hub cannot import yet
)

// Refusal reasons (FileReport.Reason).
const (
	ReasonNotForThisHub = "not_for_this_hub" // encrypted to another hub's key
	ReasonTruncated     = "truncated"        // age authentication failed: half-written, cut or damaged
	ReasonTampered      = "tampered"         // the signature does not verify
	ReasonUnknownAgent  = "unknown_agent"
	ReasonRevoked       = "revoked"
	ReasonReplayed      = "replayed" // another scorecard already holds its sequence
	ReasonMalformed     = "malformed"
	ReasonTooLarge      = "too_large"
	ReasonNotVigie      = "not_vigie"
	ReasonUnreadable    = "unreadable" // the file could not be read
)

// FileReport is one line of the import report.
type FileReport struct {
	Path        string `json:"path"`
	Kind        string `json:"kind"` // scorecard, incident, unknown
	Status      string `json:"status"`
	Reason      string `json:"reason,omitempty"`
	Message     string `json:"message"` // in French
	AgentID     string `json:"agent_id,omitempty"`
	ScorecardID string `json:"scorecard_id,omitempty"`
	Sequence    uint64 `json:"sequence,omitempty"`
}

// Refused reports whether the file was refused.
func (r FileReport) Refused() bool { return r.Status == FileRefused }

// Decrypter opens what agents encrypted to the hub (hubkeys.Keys); it
// returns hubkeys.ErrNotForThisHub for another recipient's file.
type Decrypter interface {
	Decrypt(r io.Reader) (io.Reader, error)
}

// OfflineConfig is what an offline import needs.
type OfflineConfig struct {
	Keys Decrypter
	// Stored is told of each scorecard stored as its host's latest
	// (Config.Stored: the advisories matcher); nil in the command,
	// where the running hub's next pass finds them (docs/protocol.md).
	Stored func(agentID string)
	// Workers decrypt and verify in parallel (default GOMAXPROCS).
	Workers int
	// Report receives each file's report as soon as it is decided, from
	// one goroutine at a time.
	Report func(FileReport)
	// Incidents files incident bundles (offline_incidents.go); nil: they
	// are reported as not handled.
	Incidents *app.Incidents
	// By is the audit log's actor ("cli").
	By     string
	Now    func() time.Time
	Logger *slog.Logger
}

// OfflineSummary counts the reports.
type OfflineSummary struct {
	Stored, Duplicates, History, Refused, Ignored, NotHandled int
}

func (s *OfflineSummary) add(r FileReport) {
	switch r.Status {
	case FileStored:
		s.Stored++
	case FileDuplicate:
		s.Duplicates++
	case FileHistory:
		s.History++
	case FileRefused:
		s.Refused++
	case FileIgnored:
		s.Ignored++
	case FileNotHandled:
		s.NotHandled++
	}
}

// fileKind is one kind of file a stick may carry.
type fileKind interface {
	name() string
	// claims reports whether the file (base name, first bytes) is of
	// this kind; the first kind claiming a file gets it.
	claims(base string, head []byte) bool
	// importFiles imports the files it claimed, reporting each once.
	// An error (storage) stops the import.
	importFiles(ctx context.Context, files []string, report func(FileReport)) error
}

// ImportOffline imports the files at paths (files, or folders walked
// recursively) and writes one line to the audit log. It returns an error
// only for what stops it (storage, a path that does not exist): a bad
// file is reported and skipped.
func ImportOffline(ctx context.Context, st store.Store, cfg OfflineConfig, paths ...string) (OfflineSummary, error) {
	var sum OfflineSummary
	var mu sync.Mutex
	report := func(r FileReport) {
		mu.Lock()
		defer mu.Unlock()
		sum.add(r)
		if cfg.Report != nil {
			cfg.Report(r)
		}
	}
	core := NewCore(CoreConfig{Store: st, Now: cfg.Now, Logger: cfg.Logger, Stored: cfg.Stored})
	kinds := []fileKind{incidentKind{cfg.Incidents}, newScorecardKind(core, cfg.Keys, cfg.Workers)}
	claimed := make([][]string, len(kinds))
	err := walkOffline(paths, func(path string, explicit bool) {
		head, err := readHead(path)
		if err != nil {
			report(FileReport{Path: path, Kind: "unknown", Status: FileRefused, Reason: ReasonUnreadable, Message: "fichier illisible : " + err.Error()})
			return
		}
		base := filepath.Base(path)
		for i, k := range kinds {
			if k.claims(base, head) {
				claimed[i] = append(claimed[i], path)
				return
			}
		}
		r := FileReport{Path: path, Kind: "unknown", Status: FileIgnored, Reason: ReasonNotVigie, Message: "ignoré : pas un fichier Vigie"}
		if explicit {
			r.Status, r.Message = FileRefused, "refusé : pas un fichier Vigie (ni bilan hors ligne .scorecard.age, ni lot d'incident)"
		}
		report(r)
	})
	if err == nil {
		for i, k := range kinds {
			if err = k.importFiles(ctx, claimed[i], report); err != nil {
				break
			}
		}
	}
	detail := fmt.Sprintf("%d enregistré(s), %d doublon(s), %d dans l'historique, %d refusé(s), %d ignoré(s), %d non pris en charge",
		sum.Stored, sum.Duplicates, sum.History, sum.Refused, sum.Ignored, sum.NotHandled)
	if err != nil {
		detail += " ; interrompu : " + err.Error()
	}
	if err := st.Audit(context.WithoutCancel(ctx), store.AuditEntry{At: core.now(), Actor: cfg.By, Action: "offline_import",
		Target: strings.Join(paths, " "), Detail: detail}); err != nil {
		core.log.Error("audit", "action", "offline_import", "err", err)
	}
	return sum, err
}

// walkOffline calls f for each regular file under paths, in lexical order;
// explicit is set for a file named on the command line. Hidden entries and
// the folders an operating system leaves on a stick are skipped.
func walkOffline(paths []string, f func(path string, explicit bool)) error {
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("%s : %w", p, err)
		}
		if !st.IsDir() {
			f(p, true)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if path != p && (strings.HasPrefix(name, ".") || name == "System Volume Information" || strings.EqualFold(name, "$RECYCLE.BIN")) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				f(path, false)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// headSize is what kinds look at to claim a file.
const headSize = 64

func readHead(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, headSize)
	n, err := io.ReadFull(f, b)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return b[:n], nil
}

// ageMagic starts every age file.
var ageMagic = []byte("age-encryption.org/v1\n")

// refusalReport turns a refusal of the core into a report.
func refusalReport(r FileReport, ref *Refusal) FileReport {
	r.Status, r.Message = FileRefused, "refusé : "+strings.TrimSuffix(ref.FR, ".")
	switch ref.Code {
	case "bad_signature":
		r.Reason = ReasonTampered
	case "unknown_agent":
		r.Reason = ReasonUnknownAgent
	case "agent_revoked":
		r.Reason = ReasonRevoked
	case "replayed_sequence":
		r.Reason = ReasonReplayed
		r.Message = "refusé : un autre bilan de cet agent porte déjà ce numéro de séquence (bilan rejoué)"
	case "request_too_large":
		r.Reason = ReasonTooLarge
	case "agent_mismatch":
		r.Reason = ReasonTampered
	default:
		r.Reason = ReasonMalformed
	}
	return r
}

// sortJobs orders scorecard jobs by sequence then agent as their names
// tell, the files whose names tell nothing last. Each agent's files come
// in sequence order, and consecutive files are of different agents, which
// the apply lanes then store side by side (one commit for many).
func sortJobs(jobs []scJob) {
	slices.SortFunc(jobs, func(x, y scJob) int {
		if x.hinted != y.hinted {
			if x.hinted {
				return -1
			}
			return 1
		}
		if x.seq != y.seq {
			if x.seq < y.seq {
				return -1
			}
			return 1
		}
		if c := strings.Compare(x.agent, y.agent); c != 0 {
			return c
		}
		return strings.Compare(x.path, y.path)
	})
}
