package agent

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/vigie-cyber/vigie/agent/keystore"
	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// Spool is the disk queue of signed scorecards waiting for the hub. Every
// scorecard is written there before any upload attempt and removed only
// after the hub acknowledged it, so a hub or network outage, a crash or a
// reboot loses nothing.
//
// Each file is written to a temporary name, synced, renamed and its
// directory synced: a crash leaves either the whole file or no file under a
// final name. Files that are nevertheless corrupt (disk error, truncation,
// someone's editor) are moved to quarantine/ with a log line and never sent:
// the hub would refuse them anyway, and a bad file must not block the queue.
type Spool struct {
	dir      string
	maxFiles int
	maxBytes int64
	pub      ed25519.PublicKey // when set, files must verify with it
	log      *slog.Logger

	mu sync.Mutex
	// createTemp is os.CreateTemp, replaced in tests to simulate a full disk.
	createTemp func(dir, pattern string) (spoolFile, error)
}

type spoolFile interface {
	io.Writer
	Sync() error
	Close() error
	Name() string
}

const (
	spoolExt        = ".dsse.json"
	quarantineDir   = "quarantine"
	tmpPrefix       = ".tmp-"
	maxQuarantine   = 50
	reasonTruncated = "fichier partiel (écriture interrompue)"
)

// ErrCorrupt marks a spool file that was quarantined instead of read.
var ErrCorrupt = errors.New("corrupt spool file")

// OpenSpool opens (creating) the spool in dir. pub, when not nil, is the
// agent's public key: a file whose signature does not verify is corrupt.
// Partial files left by a crash are quarantined now.
func OpenSpool(dir string, maxFiles int, maxBytes int64, pub ed25519.PublicKey, log *slog.Logger) (*Spool, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if maxFiles <= 0 {
		maxFiles = DefaultMaxFiles
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if err := os.MkdirAll(filepath.Join(dir, quarantineDir), 0o700); err != nil {
		return nil, fmt.Errorf("create spool %s: %w", dir, err)
	}
	s := &Spool{dir: dir, maxFiles: maxFiles, maxBytes: maxBytes, pub: pub, log: log,
		createTemp: func(dir, pattern string) (spoolFile, error) { return os.CreateTemp(dir, pattern) }}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read spool %s: %w", dir, err)
	}
	for _, e := range entries {
		if !e.IsDir() && strings.HasPrefix(e.Name(), tmpPrefix) {
			s.quarantine(e.Name(), reasonTruncated)
		}
	}
	return s, nil
}

// Dir is the spool directory.
func (s *Spool) Dir() string { return s.dir }

// fileName orders files by sequence number: names sort as numbers.
func fileName(seq uint64, id string) string {
	return fmt.Sprintf("%020d-%s%s", seq, id, spoolExt)
}

// parseFileName returns the sequence number fileName put in name.
func parseFileName(name string) (uint64, bool) {
	digits, rest, ok := strings.Cut(name, "-")
	if !ok || len(digits) != 20 || !strings.HasSuffix(rest, spoolExt) {
		return 0, false
	}
	seq, err := strconv.ParseUint(digits, 10, 64)
	return seq, err == nil
}

// Put writes a signed envelope for scorecard seq/id durably, then drops the
// oldest files if the spool is over its bounds. On error nothing is left
// behind (no partial file) and the caller still holds the data.
func (s *Spool) Put(seq uint64, id string, envelope []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" || strings.ContainsAny(id, `/\.`) {
		return fmt.Errorf("spool: bad scorecard id %q", id)
	}
	name := fileName(seq, id)
	f, err := s.createTemp(s.dir, tmpPrefix+name+"*")
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("spool: write %s: %w", name, err)
	}
	if _, err := f.Write(envelope); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("spool: write %s: %w", name, err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, name)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("spool: %w", err)
	}
	keystore.SyncDir(s.dir)
	s.enforceLimits(name)
	return nil
}

// Item is one spooled scorecard.
type Item struct {
	Name string
	Size int64
}

// List returns the spooled files, oldest (lowest sequence) first.
func (s *Spool) List() ([]Item, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("read spool: %w", err)
	}
	var items []Item
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), spoolExt) || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		items = append(items, Item{e.Name(), info.Size()})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Name < items[j].Name })
	return items, nil
}

// Read returns a spooled envelope and its sequence number after checking
// the file is whole: the envelope parses and, when the spool knows the
// agent's key, its signature verifies. The sequence comes from the file
// name (fileName), so the scorecard itself is not decoded: the hub decodes
// it. A file that fails is quarantined and ErrCorrupt returned; the caller
// moves on.
func (s *Spool) Read(it Item) ([]byte, uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	seq, ok := parseFileName(it.Name)
	if !ok {
		s.quarantine(it.Name, "nom de fichier inattendu")
		return nil, 0, fmt.Errorf("%w: %s: unexpected name", ErrCorrupt, it.Name)
	}
	data, err := checks.ReadFileMax(filepath.Join(s.dir, it.Name), protocol.MaxEnvelopeSize)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, 0, err
		}
		s.quarantine(it.Name, err.Error())
		return nil, 0, fmt.Errorf("%w: %s: %v", ErrCorrupt, it.Name, err)
	}
	if err := s.check(data); err != nil {
		s.quarantine(it.Name, err.Error())
		return nil, 0, fmt.Errorf("%w: %s: %v", ErrCorrupt, it.Name, err)
	}
	return data, seq, nil
}

// check verifies a spooled envelope: with the key when the spool has it;
// without, its form only (the hub verifies for real).
func (s *Spool) check(data []byte) error {
	env, err := protocol.ParseEnvelope(data)
	if err != nil {
		return err
	}
	if s.pub == nil {
		_, err = protocol.OpenUnverified(env, protocol.PayloadType)
	} else {
		_, err = protocol.Verify(env, protocol.PayloadType, s.pub)
	}
	return err
}

// QuarantineAll moves every queued file to quarantine (the hub revoked the
// key that signed them) and returns how many it moved.
func (s *Spool) QuarantineAll(reason string) int {
	items, err := s.List()
	if err != nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range items {
		s.quarantine(it.Name, reason)
	}
	return len(items)
}

// SetKey changes the key files must verify with (after a new key).
func (s *Spool) SetKey(pub ed25519.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pub = pub
}

// Delete removes a delivered file.
func (s *Spool) Delete(it Item) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// No directory fsync: a deletion lost in a crash only resends a
	// delivered scorecard, which the hub answers as a harmless duplicate.
	err := os.Remove(filepath.Join(s.dir, it.Name))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

// refusedPrefix marks, in quarantine/, the files the hub refused, so that
// `vigie status` tells them from the files the agent found unreadable on its
// own disk (which the hub never saw).
const refusedPrefix = "refused-"

// Quarantine moves a file the hub refused out of the queue, with a log line.
func (s *Spool) Quarantine(it Item, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.move(it.Name, refusedPrefix+it.Name, reason)
}

// quarantine moves a file the agent cannot read or verify out of the queue.
func (s *Spool) quarantine(name, reason string) {
	s.move(name, strings.TrimPrefix(name, "."), reason)
}

func (s *Spool) move(name, as, reason string) {
	qdir := filepath.Join(s.dir, quarantineDir)
	os.MkdirAll(qdir, 0o700)
	dst := filepath.Join(qdir, as)
	if err := os.Rename(filepath.Join(s.dir, name), dst); err != nil {
		// Cannot move it: delete it rather than retry a bad file forever.
		os.Remove(filepath.Join(s.dir, name))
		s.log.Warn("fichier de la file d'envoi illisible supprimé", "file", name, "reason", reason, "move_error", err)
		return
	}
	s.log.Warn("fichier de la file d'envoi mis en quarantaine, il ne sera pas envoyé", "file", name, "reason", reason, "quarantine", qdir)
	// The quarantine is bounded too: keep the newest.
	if q, err := os.ReadDir(qdir); err == nil && len(q) > maxQuarantine {
		for _, e := range q[:len(q)-maxQuarantine] {
			os.Remove(filepath.Join(qdir, e.Name()))
		}
	}
}

// enforceLimits drops the oldest files while the spool is over its bounds,
// never the one just written.
func (s *Spool) enforceLimits(keep string) {
	items, err := s.List()
	if err != nil {
		return
	}
	var total int64
	for _, it := range items {
		total += it.Size
	}
	for len(items) > 1 && (len(items) > s.maxFiles || total > s.maxBytes) {
		old := items[0]
		if old.Name == keep {
			break
		}
		if err := os.Remove(filepath.Join(s.dir, old.Name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Error("file d'envoi pleine et fichier le plus ancien impossible à supprimer", "file", old.Name, "err", err)
			return
		}
		s.log.Warn("file d'envoi pleine : le bilan le plus ancien est abandonné sans avoir été envoyé",
			"file", old.Name, "files", len(items), "bytes", total, "max_files", s.maxFiles, "max_bytes", s.maxBytes)
		total -= old.Size
		items = items[1:]
	}
}

// Stats returns the number and total size of queued files and the number of
// quarantined ones.
func (s *Spool) Stats() (files int, bytes int64, quarantined int) {
	items, _ := s.List()
	for _, it := range items {
		bytes += it.Size
	}
	q, _ := os.ReadDir(filepath.Join(s.dir, quarantineDir))
	return len(items), bytes, len(q)
}

// QuarantineCounts splits the quarantine: files the hub refused, and files
// found unreadable or unverifiable in the local spool (disk error,
// truncation, an editor), which were never sent.
func (s *Spool) QuarantineCounts() (refused, unreadable int) {
	q, _ := os.ReadDir(filepath.Join(s.dir, quarantineDir))
	for _, e := range q {
		if strings.HasPrefix(e.Name(), refusedPrefix) {
			refused++
		} else {
			unreadable++
		}
	}
	return refused, unreadable
}
