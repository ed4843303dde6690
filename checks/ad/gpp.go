package ad

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// GPPScan is what a walk of SYSVOL found: Group Policy Preferences files
// that still carry a cpassword, a password every domain user can read and
// decrypt (the AES key is published in MS-GPPREF 2.2.1.1.4).
type GPPScan struct {
	Root     string // the folder or smb:// address read
	SMB      bool   // read over SMB (signed)
	GPOs     int    // Group Policy folders (Policies\{GUID}) seen
	Entries  int    // files and folders listed
	Files    int    // Preferences XML files examined
	Bytes    int64  // bytes read from them
	Findings []GPPFinding
}

// GPPFinding is one element carrying a non-empty cpassword.
type GPPFinding struct {
	File    string // path under SYSVOL
	Element string // Groups.xml's <User>, Services.xml's <NTService>...
	Account string // userName, runAs or accountName when present
}

// ScanSysvol walks a local SYSVOL folder for Preferences XML files.
func ScanSysvol(ctx context.Context, root string) (*GPPScan, error) {
	return ScanSysvolAt(ctx, nil, nil, SysvolLocation{Path: root})
}

// ScanSysvolFS walks SYSVOL as fsys (a local folder, an SMB share, test
// data). Only XML files under a "Preferences" folder are read. Everything
// is bounded: entries listed (maxSysvolEntries), folder depth, bytes per
// file (maxSysvolFile) and in all (maxSysvolBytes), and ctx. Reaching a
// bound, or any unreadable folder or file, is an error: a partial walk
// gives no verdict. So is a walk that met no Group Policy folder at all
// (every domain has at least its two default policies): the path is
// wrong, or the account cannot see them.
func ScanSysvolFS(ctx context.Context, fsys fs.FS, root string) (*GPPScan, error) {
	return scanSysvolFS(ctx, fsys, root, defaultSysvolLimits)
}

// sysvolLimits bound a walk; tests use small ones.
type sysvolLimits struct {
	entries, depth int
	file, total    int64
}

var defaultSysvolLimits = sysvolLimits{entries: maxSysvolEntries, depth: maxSysvolDepth, file: maxSysvolFile, total: maxSysvolBytes}

func scanSysvolFS(ctx context.Context, fsys fs.FS, root string, lim sysvolLimits) (*GPPScan, error) {
	w := &sysvolWalk{ctx: ctx, fsys: fsys, lim: lim, s: &GPPScan{Root: root}}
	if err := w.dir(".", 0); err != nil {
		return nil, err
	}
	if w.s.GPOs == 0 {
		return nil, fmt.Errorf("SYSVOL %s : aucune stratégie de groupe trouvée (dossier Policies\\{GUID}) parmi %d entrées : ce n'est pas le dossier SYSVOL, ou le compte ne peut pas le lire", root, w.s.Entries)
	}
	return w.s, nil
}

type sysvolWalk struct {
	ctx  context.Context
	fsys fs.FS
	lim  sysvolLimits
	s    *GPPScan
}

// dir lists one folder in chunks (a huge folder is stopped at the bound,
// not loaded whole), closes it, then visits its sub-folders: one handle
// open at a time, which matters on an SMB share.
func (w *sysvolWalk) dir(p string, depth int) error {
	if depth > w.lim.depth {
		return fmt.Errorf("SYSVOL %s : plus de %d niveaux de dossiers (boucle de liens ?), lecture arrêtée", p, w.lim.depth)
	}
	f, err := w.fsys.Open(p)
	if err != nil {
		return fmt.Errorf("SYSVOL %s : %w", p, w.cause(err))
	}
	rd, ok := f.(fs.ReadDirFile)
	if !ok {
		f.Close()
		return fmt.Errorf("SYSVOL %s : pas un dossier", p)
	}
	var dirs, files []string
	for {
		if err := w.ctx.Err(); err != nil {
			f.Close()
			return fmt.Errorf("SYSVOL : lecture interrompue dans %s après %d entrées : %w", p, w.s.Entries, err)
		}
		ents, err := rd.ReadDir(256)
		for _, e := range ents {
			name := e.Name()
			if name == "." || name == ".." {
				continue
			}
			if name == "" || strings.ContainsAny(name, `/\`) {
				f.Close()
				return fmt.Errorf("SYSVOL %s : nom d'entrée invalide %q", p, name)
			}
			w.s.Entries++
			if w.s.Entries > w.lim.entries {
				f.Close()
				return fmt.Errorf("SYSVOL : plus de %d fichiers et dossiers, lecture arrêtée", w.lim.entries)
			}
			child := path.Join(p, name)
			isDir := e.IsDir()
			if !isDir && e.Type()&(fs.ModeSymlink|fs.ModeIrregular) != 0 {
				// A link or junction: on a Windows DC the domain folder
				// under SYSVOL\sysvol is a junction to SYSVOL\domain, which
				// Go reports as irregular, not as a folder. Follow it
				// (depth and entry bounds stop a loop).
				st, err := fs.Stat(w.fsys, child)
				if err != nil {
					f.Close()
					return fmt.Errorf("SYSVOL %s : %w", child, w.cause(err))
				}
				isDir = st.IsDir()
			}
			switch {
			case isDir:
				if strings.EqualFold(path.Base(p), "Policies") && strings.HasPrefix(name, "{") && strings.HasSuffix(name, "}") {
					w.s.GPOs++
				}
				dirs = append(dirs, child)
			case strings.EqualFold(path.Ext(name), ".xml") && underPreferences(child):
				files = append(files, child)
			}
		}
		if errors.Is(err, io.EOF) || (err == nil && len(ents) == 0) {
			break
		}
		if err != nil {
			f.Close()
			return fmt.Errorf("SYSVOL %s : %w", p, w.cause(err))
		}
	}
	f.Close()
	for _, c := range files {
		if err := w.file(c); err != nil {
			return err
		}
	}
	for _, c := range dirs {
		if err := w.dir(c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func (w *sysvolWalk) file(p string) error {
	if err := w.ctx.Err(); err != nil {
		return fmt.Errorf("SYSVOL : lecture interrompue avant %s : %w", p, err)
	}
	w.s.Files++
	f, err := w.fsys.Open(p)
	if err != nil {
		return fmt.Errorf("SYSVOL %s : %w", p, w.cause(err))
	}
	data, err := io.ReadAll(io.LimitReader(f, w.lim.file+1))
	f.Close()
	if err != nil {
		return fmt.Errorf("SYSVOL %s : %w", p, w.cause(err))
	}
	if int64(len(data)) > w.lim.file {
		return fmt.Errorf("SYSVOL %s : plus de %d octets", p, w.lim.file)
	}
	w.s.Bytes += int64(len(data))
	if w.s.Bytes > w.lim.total {
		return fmt.Errorf("SYSVOL : plus de %d octets de fichiers de préférences, lecture arrêtée à %s", w.lim.total, p)
	}
	found, err := FindCpasswords(data)
	if err != nil {
		return fmt.Errorf("SYSVOL %s : %w", p, err)
	}
	for _, g := range found {
		g.File = p
		w.s.Findings = append(w.s.Findings, g)
	}
	return nil
}

// cause says "time is up" rather than the closed connection it provoked.
func (w *sysvolWalk) cause(err error) error {
	if c := w.ctx.Err(); c != nil {
		return fmt.Errorf("%w (%v)", c, err)
	}
	return err
}

func underPreferences(p string) bool {
	for _, part := range strings.Split(p, "/") {
		if strings.EqualFold(part, "Preferences") {
			return true
		}
	}
	return false
}

// FindCpasswords returns the elements of a GPP XML document whose cpassword
// attribute is not empty (an emptied cpassword is what Microsoft's MS14-025
// fix leaves behind and is harmless). Malformed XML is an error.
func FindCpasswords(data []byte) ([]GPPFinding, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		// GPP files declare utf-8; anything else is refused rather than misread.
		if strings.EqualFold(label, "utf-8") || strings.EqualFold(label, "us-ascii") {
			return r, nil
		}
		return nil, fmt.Errorf("encodage %q non pris en charge", label)
	}
	var out []GPPFinding
	var stack []string
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("XML : %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
			if len(stack) > 64 {
				return nil, errors.New("XML : imbrication trop profonde")
			}
			var cpw, acct string
			for _, a := range t.Attr {
				switch strings.ToLower(a.Name.Local) {
				case "cpassword":
					cpw = a.Value
				case "username", "runas", "accountname":
					if acct == "" {
						acct = a.Value
					}
				}
			}
			if strings.TrimSpace(cpw) != "" {
				el := t.Name.Local
				if len(stack) > 1 && strings.EqualFold(el, "Properties") {
					el = stack[len(stack)-2] // <User><Properties cpassword=...>: name the object
				}
				out = append(out, GPPFinding{Element: el, Account: acct})
			}
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
}
