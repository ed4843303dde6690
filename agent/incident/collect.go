package incident

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// Default bounds of a collection: the CSIRT wants the bundle in minutes and
// it must travel on a phone hotspot or a USB key.
const (
	DefaultTimeout  = 60 * time.Second
	DefaultMaxBytes = 50 << 20
	RecentWindow    = 30 * 24 * time.Hour
	// maxHashSize: larger binaries are listed without a hash rather than
	// spending the time budget on them.
	maxHashSize = 64 << 20
)

// Options bound and feed a collection.
type Options struct {
	Timeout  time.Duration
	MaxBytes int64
	// StateFS is the agent's state directory (nil when there is none): the
	// latest scorecard summary is read there.
	StateFS fs.FS
}

// Collector is one read-only collection over the Host abstraction.
type Collector struct {
	Name string
	Run  func(ctx context.Context, h *checks.Host, o Options) (any, error)
}

// Collectors is every collector, in the order they run.
var Collectors = []Collector{
	{"processes", collectProcesses},
	{"network", collectNetwork},
	{"persistence", collectPersistence},
	{"recent-executables", collectRecentExecutables},
	{"accounts", collectAccounts},
	{"events", collectEvents},
	{"backups", collectBackups},
	{"scorecard", collectScorecard},
}

// File is one output file of the collection.
type File struct {
	Name string
	Data []byte
}

// Output is what a collector file holds: the data, or why there is none.
type Output struct {
	Collector  string    `json:"collector"`
	Status     string    `json:"status"` // ok, error, truncated
	Error      string    `json:"error,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	DurationMS int64     `json:"duration_ms"`
	Data       any       `json:"data,omitempty"`
}

// Collect runs every collector within the time and size budget. A collector
// that fails, panics or overruns is recorded as such and the others still
// run: a partial bundle in the CSIRT's hands beats a perfect one never sent.
func Collect(ctx context.Context, h *checks.Host, cs []Collector, o Options) ([]File, []protocol.IncidentCollector) {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	remaining := o.MaxBytes
	var files []File
	var status []protocol.IncidentCollector
	for i, c := range cs {
		start := h.Now()
		wall := time.Now()
		// Each collector gets a fair share of the time left so one slow
		// collector cannot starve the rest.
		share := time.Until(deadline(ctx)) / time.Duration(len(cs)-i)
		cctx, ccancel := context.WithTimeout(ctx, share)
		data, err := runSafe(cctx, c, h, o)
		ccancel()
		out := Output{Collector: c.Name, Status: "ok", StartedAt: start, DurationMS: time.Since(wall).Milliseconds(), Data: data}
		if err != nil {
			out.Status, out.Error, out.Data = "error", err.Error(), nil
		}
		b, merr := json.MarshalIndent(out, "", " ")
		if merr != nil {
			out.Status, out.Error, out.Data = "error", "encodage : "+merr.Error(), nil
			b, _ = json.Marshal(out)
		}
		if int64(len(b)) > remaining {
			out.Status, out.Data = "truncated", nil
			out.Error = fmt.Sprintf("données de %d octets au-delà du budget restant de %d octets", len(b), remaining)
			b, _ = json.Marshal(out)
		}
		remaining -= int64(len(b))
		files = append(files, File{Name: c.Name + ".json", Data: b})
		status = append(status, protocol.IncidentCollector{Name: c.Name, Status: out.Status, Error: out.Error, DurationMS: out.DurationMS})
	}
	return files, status
}

func deadline(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

func runSafe(ctx context.Context, c Collector, h *checks.Host, o Options) (data any, err error) {
	defer func() {
		if r := recover(); r != nil {
			data, err = nil, fmt.Errorf("erreur interne du collecteur : %v", r)
		}
	}()
	data, err = c.Run(ctx, h, o)
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("délai dépassé : %w", ctx.Err())
	}
	return data, err
}

// isRecent says whether t falls in the last 30 days.
func isRecent(h *checks.Host, t time.Time) bool {
	return !t.IsZero() && h.Now().Sub(t) <= RecentWindow && !t.After(h.Now().Add(24*time.Hour))
}

// fsPath turns a host path (/usr/bin/x, C:\Windows\x.exe) into the
// slash-separated, rootless form checks.Host.FS takes.
func fsPath(p string) (string, bool) {
	p = strings.ReplaceAll(p, `\`, "/")
	if len(p) >= 2 && p[1] == ':' {
		p = p[2:]
	}
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	return p, p != "" && fs.ValidPath(p)
}

// hashFile returns the SHA-256 of a host file, cached per path.
type hasher struct {
	h     *checks.Host
	cache map[string]string
	errs  map[string]string
}

func newHasher(h *checks.Host) *hasher {
	return &hasher{h: h, cache: map[string]string{}, errs: map[string]string{}}
}

func (x *hasher) sum(ctx context.Context, hostPath string) (string, error) {
	if s, ok := x.cache[hostPath]; ok {
		return s, nil
	}
	if e, ok := x.errs[hostPath]; ok {
		return "", errors.New(e)
	}
	s, err := x.compute(ctx, hostPath)
	if err != nil {
		x.errs[hostPath] = err.Error()
		return "", err
	}
	x.cache[hostPath] = s
	return s, nil
}

func (x *hasher) compute(ctx context.Context, hostPath string) (string, error) {
	p, ok := fsPath(hostPath)
	if !ok {
		return "", fmt.Errorf("chemin %q inutilisable", hostPath)
	}
	f, err := x.h.FS.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s n'est pas un fichier ordinaire", hostPath)
	}
	if st.Size() > maxHashSize {
		return "", fmt.Errorf("%s trop gros pour être haché (%d octets)", hostPath, st.Size())
	}
	d := sha256.New()
	if _, err := io.Copy(d, ctxReader{ctx, f}); err != nil {
		return "", err
	}
	return hex.EncodeToString(d.Sum(nil)), nil
}

// ctxReader stops a long read when the collector's time is up.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// readCapped reads at most limit bytes of a host file (its tail when
// tail is set: the last log lines are the interesting ones).
func readCapped(fsys fs.FS, p string, limit int64, tail bool) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && tail && st.Size() > limit {
		if s, ok := f.(io.Seeker); ok {
			if _, err := s.Seek(st.Size()-limit, io.SeekStart); err == nil {
				b, err := io.ReadAll(io.LimitReader(f, limit))
				if i := strings.IndexByte(string(b), '\n'); err == nil && i >= 0 {
					b = b[i+1:] // drop the partial first line
				}
				return b, err
			}
		}
	}
	return io.ReadAll(io.LimitReader(f, limit))
}
