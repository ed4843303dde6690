package ad

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// GPPScan is what a walk of SYSVOL found: Group Policy Preferences files
// that still carry a cpassword, a password every domain user can read and
// decrypt (the AES key is published in MS-GPPREF 2.2.1.1.4).
type GPPScan struct {
	Root     string
	Files    int // XML files examined
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
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("SYSVOL %s : %w", root, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("SYSVOL %s n'est pas un dossier", root)
	}
	return ScanSysvolFS(ctx, os.DirFS(root), root)
}

// ScanSysvolFS is ScanSysvol over any file system (tests use testdata).
// Only files under a "Preferences" folder are read, each at most
// maxSysvolFile bytes; an unreadable file is an error, not a silent pass.
func ScanSysvolFS(ctx context.Context, fsys fs.FS, root string) (*GPPScan, error) {
	s := &GPPScan{Root: root}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("SYSVOL %s : %w", p, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() || !strings.EqualFold(path.Ext(p), ".xml") || !underPreferences(p) {
			return nil
		}
		s.Files++
		if s.Files > maxSysvolFiles {
			return fmt.Errorf("SYSVOL : plus de %d fichiers de préférences, lecture arrêtée", maxSysvolFiles)
		}
		f, err := fsys.Open(p)
		if err != nil {
			return fmt.Errorf("SYSVOL %s : %w", p, err)
		}
		data, err := io.ReadAll(io.LimitReader(f, maxSysvolFile+1))
		f.Close()
		if err != nil {
			return fmt.Errorf("SYSVOL %s : %w", p, err)
		}
		if len(data) > maxSysvolFile {
			return fmt.Errorf("SYSVOL %s : plus de %d octets", p, maxSysvolFile)
		}
		found, err := FindCpasswords(data)
		if err != nil {
			return fmt.Errorf("SYSVOL %s : %w", p, err)
		}
		for _, f := range found {
			f.File = p
			s.Findings = append(s.Findings, f)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
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
