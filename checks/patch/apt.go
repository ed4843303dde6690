package patch

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/checks"
)

// Update is one pending package update.
type Update struct {
	Name     string   `json:"name"`
	From     string   `json:"from,omitempty"` // installed version; empty for a new package
	To       string   `json:"to,omitempty"`
	Origins  []string `json:"origins,omitempty"` // apt origins, dnf repository, Windows categories
	Security bool     `json:"security"`
	// Published is when the update was made available, where known
	// (Windows Update's LastDeploymentChangeTime).
	Published time.Time `json:"published,omitzero"`
}

// ParseAptSimulation reads the output of `apt-get -s dist-upgrade`. Each
// "Inst" line is one package to install or upgrade:
//
//	Inst libssl3 [3.0.2-0ubuntu1.10] (3.0.2-0ubuntu1.12 Ubuntu:22.04/jammy-updates, Ubuntu:22.04/jammy-security [amd64])
//
// An update is a security update when one of its origins is a "-security"
// suite (Debian-Security:12/stable-security, Ubuntu:22.04/jammy-security,
// UbuntuESM...-security): we match the archive, never the package name.
func ParseAptSimulation(out []byte) ([]Update, error) {
	var ups []Update
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, "Inst ")
		if !ok {
			continue
		}
		name, rest, _ := strings.Cut(rest, " ")
		if name == "" {
			return nil, fmt.Errorf("apt-get: malformed line %q", line)
		}
		u := Update{Name: name}
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, "[") {
			old, r, ok := strings.Cut(rest[1:], "]")
			if !ok {
				return nil, fmt.Errorf("apt-get: malformed line %q", line)
			}
			u.From, rest = old, strings.TrimSpace(r)
		}
		if strings.HasPrefix(rest, "(") {
			inner, _, ok := strings.Cut(rest[1:], ")")
			if !ok {
				return nil, fmt.Errorf("apt-get: malformed line %q", line)
			}
			if i := strings.LastIndex(inner, " ["); i >= 0 { // drop " [amd64]"
				inner = inner[:i]
			}
			ver, origins, _ := strings.Cut(inner, " ")
			u.To = ver
			for _, o := range strings.Split(origins, ",") {
				if o = strings.TrimSpace(o); o != "" {
					u.Origins = append(u.Origins, o)
					if strings.Contains(strings.ToLower(o), "-security") {
						u.Security = true
					}
				}
			}
		}
		ups = append(ups, u)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("apt-get output: %w", err)
	}
	return ups, nil
}

// Transaction is one block of apt's history.log or one row of dnf history.
type Transaction struct {
	Start    time.Time `json:"start"`
	End      time.Time `json:"end,omitzero"` // zero when the block never finished
	Command  string    `json:"command,omitempty"`
	Upgraded int       `json:"upgraded"` // packages upgraded
	Failed   bool      `json:"failed,omitempty"`
}

// Successful reports a finished transaction without error.
func (t Transaction) Successful() bool { return !t.Failed && !t.End.IsZero() }

const aptDate = "2006-01-02  15:04:05"

// ParseAptHistory reads /var/log/apt/history.log: blocks separated by blank
// lines with Start-Date, Commandline, Install/Upgrade/Remove..., Error and
// End-Date fields. Dates are in the host's local time (loc).
func ParseAptHistory(r io.Reader, loc *time.Location) ([]Transaction, error) {
	var out []Transaction
	var cur *Transaction
	flush := func() {
		if cur != nil {
			out = append(out, *cur)
			cur = nil
		}
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 8<<20) // Install: lines list every package of a big install
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ": ")
		if !ok {
			continue
		}
		switch key {
		case "Start-Date":
			flush()
			t, err := parseAptDate(val, loc)
			if err != nil {
				return nil, err
			}
			cur = &Transaction{Start: t}
		case "End-Date":
			if cur == nil {
				continue
			}
			t, err := parseAptDate(val, loc)
			if err != nil {
				return nil, err
			}
			cur.End = t
			flush()
		case "Commandline":
			if cur != nil {
				cur.Command = val
			}
		case "Upgrade":
			if cur != nil {
				cur.Upgraded += strings.Count(val, "(")
			}
		case "Error":
			if cur != nil {
				cur.Failed = true
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("apt history: %w", err)
	}
	flush()
	return out, nil
}

func parseAptDate(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	t, err := time.ParseInLocation(aptDate, s, loc)
	if err != nil {
		// Some writers use one space between date and time.
		t, err = time.ParseInLocation("2006-01-02 15:04:05", strings.Join(strings.Fields(s), " "), loc)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("apt history: bad date %q", s)
	}
	return t, nil
}

// LastUpgrade returns the end of the latest successful transaction that
// upgraded at least one package.
func LastUpgrade(ts []Transaction) (Transaction, bool) {
	var best Transaction
	found := false
	for _, t := range ts {
		if t.Upgraded > 0 && t.Successful() && (!found || t.End.After(best.End)) {
			best, found = t, true
		}
	}
	return best, found
}

// maxLog bounds how much of one (decompressed) log Vigie reads.
const maxLog = 32 << 20

// aptLastUpgrade reads history.log, then its rotated copies
// (history.log.1.gz, ...) until one holds an upgrade.
func aptLastUpgrade(fsys fs.FS, loc *time.Location) (Transaction, string, error) {
	const dir = "var/log/apt"
	names := []string{"history.log"}
	for i := 1; i <= 12; i++ {
		names = append(names, "history.log."+strconv.Itoa(i)+".gz", "history.log."+strconv.Itoa(i))
	}
	seen := false
	for _, n := range names {
		ts, err := readAptHistory(fsys, path.Join(dir, n), loc)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return Transaction{}, "", err
		}
		seen = true
		if t, ok := LastUpgrade(ts); ok {
			return t, path.Join(dir, n), nil
		}
	}
	if !seen {
		return Transaction{}, "", fmt.Errorf("no apt history (var/log/apt/history.log): %w", fs.ErrNotExist)
	}
	return Transaction{}, "", nil
}

func readAptHistory(fsys fs.FS, name string, loc *time.Location) ([]Transaction, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(name, ".gz") {
		z, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		defer z.Close()
		r = z
	}
	ts, err := ParseAptHistory(io.LimitReader(r, maxLog), loc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return ts, nil
}

// ParseAptConf extracts simple `Name "value";` settings from apt.conf
// files (APT::Periodic::Unattended-Upgrade "1";). Comments (//, #) are
// skipped; nested braces are not interpreted.
func ParseAptConf(data []byte, into map[string]string) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "//"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, " ")
		if !ok {
			k, v, ok = strings.Cut(line, "\t")
		}
		if !ok || !strings.Contains(k, "::") {
			continue
		}
		v = strings.TrimSuffix(strings.TrimSpace(v), ";")
		into[strings.ToLower(k)] = strings.Trim(strings.TrimSpace(v), `"`)
	}
}

// aptConf reads etc/apt/apt.conf.d/* in apt's order, then etc/apt/apt.conf;
// a later setting overrides an earlier one.
func aptConf(fsys fs.FS) map[string]string {
	conf := map[string]string{}
	ents, _ := fs.ReadDir(fsys, "etc/apt/apt.conf.d")
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, n := range names {
		if data, err := fs.ReadFile(fsys, "etc/apt/apt.conf.d/"+n); err == nil {
			ParseAptConf(data, conf)
		}
	}
	if data, err := fs.ReadFile(fsys, "etc/apt/apt.conf"); err == nil {
		ParseAptConf(data, conf)
	}
	return conf
}

// aptListsAge is the age of the newest package index, i.e. the last
// `apt-get update`; pending counts are only as fresh as these lists.
func aptListsAge(fsys fs.FS, now time.Time) (time.Duration, bool) {
	var newest time.Time
	if st, err := fs.Stat(fsys, "var/lib/apt/periodic/update-success-stamp"); err == nil {
		newest = st.ModTime()
	}
	ents, err := fs.ReadDir(fsys, "var/lib/apt/lists")
	if err == nil {
		for _, e := range ents {
			if !strings.HasSuffix(e.Name(), "Release") {
				continue
			}
			if info, err := e.Info(); err == nil && info.ModTime().After(newest) {
				newest = info.ModTime()
			}
		}
	}
	if newest.IsZero() {
		return 0, false
	}
	return max(now.Sub(newest), 0), true
}

// aptPending runs the simulation. apt-get -s needs no lock and no root.
func aptPending(ctx context.Context, h *checks.Host) ([]Update, error) {
	out, err := h.Exec.Run(ctx, "apt-get", "-s", "-o", "Debug::NoLocking=1", "dist-upgrade")
	if err != nil {
		return nil, fmt.Errorf("apt-get -s dist-upgrade: %w", err)
	}
	return ParseAptSimulation(out)
}
