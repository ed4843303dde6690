package backup

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/winps"
	"github.com/vigie-cyber/vigie/protocol"
)

// diskCheck: each backup location lives on another disk (or another host)
// than the data it protects. A backup on the same disk dies with it, and a
// ransomware that encrypts the data reaches it just as easily (ANSSI 37,
// CIS 11.4, NIS2 21(2)(c)).
type diskCheck struct{ paths []string }

func (c diskCheck) Meta() checks.Meta {
	return target(meta("backup.separate-disk", protocol.Medium), c.paths)
}

// dataDirs are where a host's data usually lives; a backup location on the
// same file system or disk as any of them protects nothing against its loss.
var dataDirs = []string{".", "home", "srv", "var/lib"}

// networkFS are file system types that put the backup on another host.
var networkFS = []string{"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "sshfs", "glusterfs", "ceph", "fuse.rclone", "davfs", "fuse.s3fs"}

func devString(maj, min uint32) string {
	return strconv.FormatUint(uint64(maj), 10) + ":" + strconv.FormatUint(uint64(min), 10)
}

// mount is one line of /proc/self/mountinfo.
type mount struct {
	Dev, Point, FSType, Source string
}

// parseMountinfo reads /proc/self/mountinfo (proc(5)).
func parseMountinfo(b []byte) []mount {
	var out []mount
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		left, right, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		l, r := strings.Fields(left), strings.Fields(right)
		if len(l) < 5 || len(r) < 2 {
			continue
		}
		out = append(out, mount{Dev: l[2], Point: unescapeMount(l[4]), FSType: r[0], Source: r[1]})
	}
	return out
}

// unescapeMount decodes the octal escapes (\040 for a space) of mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// mountOf returns the mount holding an absolute path: the longest mount
// point that is a prefix of it (the last one mounted wins on ties).
func mountOf(ms []mount, p string) (mount, bool) {
	best, found := mount{}, false
	for _, m := range ms {
		pt := strings.TrimSuffix(m.Point, "/")
		if p == m.Point || pt == "" || p == pt || strings.HasPrefix(p, pt+"/") {
			if !found || len(m.Point) >= len(best.Point) {
				best, found = m, true
			}
		}
	}
	return best, found
}

// lsblkDev is one node of `lsblk -J -o NAME,MAJ:MIN,TYPE`.
type lsblkDev struct {
	Name     string     `json:"name"`
	MajMin   string     `json:"maj:min"`
	Type     string     `json:"type"`
	FSType   *string    `json:"fstype"`
	Mount    *string    `json:"mountpoint"`
	Children []lsblkDev `json:"children"`
}

// parseLsblk returns, for each device number, the physical disks it sits
// on (the roots of lsblk's tree: a partition, an LVM volume or a LUKS
// mapping on top of one disk, or several for RAID).
func parseLsblk(b []byte) (map[string][]string, []lsblkDev, error) {
	var doc struct {
		Devices []lsblkDev `json:"blockdevices"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, nil, fmt.Errorf("parse lsblk: %w", err)
	}
	disks := map[string][]string{}
	var visit func(d lsblkDev, root string)
	visit = func(d lsblkDev, root string) {
		if !slices.Contains(disks[d.MajMin], root) {
			disks[d.MajMin] = append(disks[d.MajMin], root)
		}
		for _, c := range d.Children {
			visit(c, root)
		}
	}
	for _, d := range doc.Devices {
		visit(d, d.Name)
	}
	return disks, doc.Devices, nil
}

// place is where a path lives: its device, mount and the disks below it.
type place struct {
	Path  string
	Dev   string
	Mount mount
	Disks []string
}

func (c diskCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	if len(c.paths) == 0 {
		return checks.Skipped(noPaths)
	}
	if h.OS == "windows" {
		return c.runWindows(ctx, h)
	}
	mi, err := fs.ReadFile(h.FS, "proc/self/mountinfo")
	if err != nil {
		return checks.Errored(protocol.Text{FR: "table des montages illisible", EN: "mount table unreadable"}, err)
	}
	mounts := parseMountinfo(mi)
	var disks map[string][]string
	if out, err := h.Exec.Run(ctx, "lsblk", "-J", "-o", "NAME,MAJ:MIN,TYPE"); err == nil {
		disks, _, _ = parseLsblk(out)
	}
	locate := func(p string) (place, error) {
		rel, err := fsPath(p)
		if err != nil {
			return place{}, err
		}
		fi, err := fs.Stat(h.FS, rel)
		if err != nil {
			return place{}, err
		}
		pl := place{Path: p}
		pl.Mount, _ = mountOf(mounts, p)
		pl.Dev = pl.Mount.Dev
		if d, ok := statDev(fi); ok {
			pl.Dev = d
			if pl.Mount.Dev != d {
				for _, m := range mounts {
					if m.Dev == d {
						pl.Mount = m
						break
					}
				}
			}
		}
		pl.Disks = disks[pl.Dev]
		return pl, nil
	}
	var data []place
	for _, d := range dataDirs {
		if pl, err := locate("/" + strings.TrimPrefix(d, ".")); err == nil {
			data = append(data, pl)
		}
	}
	col := newCollector()
	for _, p := range c.paths {
		bp, err := locate(p)
		if errors.Is(err, fs.ErrNotExist) {
			col.add(protocol.NotApplicable, protocol.Textf("%s absent (disque débranché ?)", "%s absent (disk unplugged?)", p))
			continue
		}
		if err != nil {
			col.add(protocol.Error, protocol.Textf("%s illisible : %v", "%s unreadable: %v", p, err))
			continue
		}
		st, t := judgeDisk(bp, data)
		col.add(st, t)
	}
	return col.result()
}

// judgeDisk compares a backup location with the data locations (pure).
func judgeDisk(bp place, data []place) (protocol.Status, protocol.Text) {
	if slices.Contains(networkFS, bp.Mount.FSType) {
		return protocol.Pass, protocol.Textf("%s : partage réseau %s (%s), sur une autre machine",
			"%s: network share %s (%s), on another host", bp.Path, bp.Mount.Source, bp.Mount.FSType)
	}
	for _, d := range data {
		if d.Dev != "" && d.Dev == bp.Dev {
			return protocol.Warn, protocol.Textf("%s est sur le même système de fichiers que %s (périphérique %s, %s)",
				"%s is on the same file system as %s (device %s, %s)", bp.Path, d.Path, bp.Dev, bp.Mount.Source)
		}
	}
	for _, d := range data {
		for _, disk := range bp.Disks {
			if slices.Contains(d.Disks, disk) {
				return protocol.Warn, protocol.Textf("%s est sur le même disque physique (%s) que %s",
					"%s is on the same physical disk (%s) as %s", bp.Path, disk, d.Path)
			}
		}
	}
	where := bp.Mount.Source
	if len(bp.Disks) > 0 {
		where = strings.Join(bp.Disks, "+")
	}
	return protocol.Pass, protocol.Textf("%s est sur un autre disque (%s) que les données", "%s is on another disk (%s) than the data", bp.Path, where)
}

// partitionsScript maps drive letters to physical disk numbers (numbers and
// letters only: nothing localised).
const partitionsScript = `[pscustomobject]@{system=$env:SystemDrive; partitions=@(Get-Partition | Where-Object DriveLetter | ForEach-Object { [pscustomobject]@{letter=[string]$_.DriveLetter; disk=[int]$_.DiskNumber} })}`

type winPartitions struct {
	System     string `json:"system"`
	Partitions []struct {
		Letter string `json:"letter"`
		Disk   int    `json:"disk"`
	} `json:"partitions"`
}

func parseWinPartitions(b []byte) (winPartitions, error) {
	w, _, err := winps.One[winPartitions](b)
	if err != nil {
		return w, fmt.Errorf("parse partitions: %w", err)
	}
	if len(w.Partitions) == 0 {
		return w, errors.New("parse partitions: no partition with a drive letter (every Windows has C:)")
	}
	return w, nil
}

// judgeWinDisk compares a Windows backup path with the system drive (pure).
func judgeWinDisk(p string, w winPartitions) (protocol.Status, protocol.Text) {
	if strings.HasPrefix(p, `\\`) {
		return protocol.Pass, protocol.Textf("%s : partage réseau, sur une autre machine", "%s: network share, on another host", p)
	}
	if len(p) < 2 || p[1] != ':' {
		return protocol.Error, protocol.Textf("%s : chemin sans lettre de lecteur", "%s: path without a drive letter", p)
	}
	letter := strings.ToUpper(p[:1])
	sys := strings.ToUpper(strings.TrimSuffix(w.System, ":"))
	if sys == "" {
		sys = "C"
	}
	if letter == sys {
		return protocol.Warn, protocol.Textf("%s est sur le lecteur système %s:", "%s is on the system drive %s:", p, sys)
	}
	disk := map[string]int{}
	for _, pt := range w.Partitions {
		disk[strings.ToUpper(pt.Letter)] = pt.Disk
	}
	d, ok := disk[letter]
	sd, sok := disk[sys]
	if !ok {
		return protocol.Pass, protocol.Textf("%s : lecteur %s: hors des disques locaux (réseau ou amovible)", "%s: drive %s: is not a local disk (network or removable)", p, letter)
	}
	if sok && d == sd {
		return protocol.Warn, protocol.Textf("%s est sur le même disque physique (disque %d) que le système %s:",
			"%s is on the same physical disk (disk %d) as the system %s:", p, d, sys)
	}
	return protocol.Pass, protocol.Textf("%s est sur le disque %d, le système sur le disque %d", "%s is on disk %d, the system on disk %d", p, d, sd)
}

func (c diskCheck) runWindows(ctx context.Context, h *checks.Host) protocol.Result {
	out, err := powershell(ctx, h, partitionsScript, nil)
	if err != nil {
		return winps.Errored(protocol.Text{FR: "liste des partitions impossible", EN: "cannot list partitions"}, err)
	}
	w, err := parseWinPartitions(out)
	if err != nil {
		return checks.Errored(protocol.Text{FR: "liste des partitions illisible", EN: "unreadable partition list"}, err)
	}
	col := newCollector()
	for _, p := range c.paths {
		col.add(judgeWinDisk(p, w))
	}
	return col.result()
}
