package ad

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

func TestParseSysvol(t *testing.T) {
	for _, c := range []struct {
		in   string
		want SysvolLocation
	}{
		{"smb://dc1.mairie.local/SYSVOL", SysvolLocation{Host: "dc1.mairie.local", Share: "SYSVOL"}},
		{"SMB://dc1.mairie.local/SYSVOL/", SysvolLocation{Host: "dc1.mairie.local", Share: "SYSVOL"}},
		{"smb://10.0.0.5:1445/SYSVOL/mairie.local/Policies", SysvolLocation{Host: "10.0.0.5", Port: "1445", Share: "SYSVOL", Dir: "mairie.local/Policies"}},
		{"smb://[fd00::5]/SYSVOL", SysvolLocation{Host: "fd00::5", Share: "SYSVOL"}},
		{"/var/lib/samba/state/sysvol", SysvolLocation{Path: "/var/lib/samba/state/sysvol"}},
		{`C:\Windows\SYSVOL\sysvol`, SysvolLocation{Path: `C:\Windows\SYSVOL\sysvol`}},
		{`\\dc1\SYSVOL`, SysvolLocation{Path: `\\dc1\SYSVOL`}},
	} {
		got, err := ParseSysvol(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseSysvol(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	// Refused, each with a message saying what is expected.
	for _, in := range []string{
		"", "sysvol", "relative/path",
		"smb://dc1", "smb://dc1/", "smb:///SYSVOL", "smb:dc1/SYSVOL",
		"smb://svc:secret@dc1/SYSVOL", "smb://svc@dc1/SYSVOL",
		"smb://dc1/SYSVOL?x=1", "smb://dc1/SYSVOL#f", "smb://dc1:0/SYSVOL", "smb://dc1:99999/SYSVOL", "smb://dc1:abc/SYSVOL",
		"smb://dc1/SYSVOL/../C$", "smb://dc1/SYSVOL/./x", "smb://dc1//SYSVOL", "smb://dc1/SYS*VOL", "smb://dc1/SYSVOL/a%00b",
		"smb://dc1/" + strings.Repeat("a", 1100),
	} {
		if l, err := ParseSysvol(in); err == nil {
			t.Errorf("ParseSysvol(%q) accepted: %+v", in, l)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("ParseSysvol(%q) repeats the password: %v", in, err)
		}
	}
	if s := (SysvolLocation{Host: "fd00::5", Port: "1445", Share: "SYSVOL", Dir: "a b"}).String(); s != "smb://[fd00::5]:1445/SYSVOL/a%20b" {
		t.Errorf("String = %q", s)
	}
}

// FuzzParseSysvol: an accepted SMB address names a host and a share, has
// no "." or ".." step, and reads back the same from its String().
func FuzzParseSysvol(f *testing.F) {
	for _, s := range []string{"smb://dc1.mairie.local/SYSVOL", "smb://10.0.0.5:1445/SYSVOL/mairie.local/Policies", "smb://[::1]/S/a%2fb", "/srv/sysvol", `C:\x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		l, err := ParseSysvol(in)
		if err != nil {
			return
		}
		if !l.SMB() {
			if l.Path != in || !isAbs(in) {
				t.Fatalf("local %q -> %+v", in, l)
			}
			return
		}
		if l.Host == "" || l.Share == "" || strings.ContainsAny(l.Share, `/\`) {
			t.Fatalf("%q -> %+v", in, l)
		}
		for _, p := range strings.Split(l.Dir, "/") {
			if p == "." || p == ".." || (p == "" && l.Dir != "") {
				t.Fatalf("%q -> dir %q", in, l.Dir)
			}
		}
		back, err := ParseSysvol(l.String())
		if err != nil || back != l {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", in, l, l.String(), back, err)
		}
	})
}

func TestSysvolFor(t *testing.T) {
	dc := &DCConfig{Sysvol: "/var/lib/samba/state/sysvol"}
	for _, c := range []struct {
		name  string
		cfg   *Config
		dc    *DCConfig
		want  string
		known bool
	}{
		{"setting wins over the DC's folder", &Config{URL: "ldaps://dc1", Sysvol: "smb://dc2/SYSVOL"}, dc, "smb://dc2/SYSVOL", true},
		{"on a DC, its folder", &Config{URL: "ldaps://dc1"}, dc, dc.Sysvol, true},
		{"on a DC without [ad]", nil, dc, dc.Sysvol, true},
		{"member server: the LDAP host's share", &Config{URL: "ldaps://dc1.mairie.local:636"}, nil, "smb://dc1.mairie.local/SYSVOL", true},
		{"nothing to go by", &Config{}, nil, "", false},
		{"neither", nil, nil, "", false},
	} {
		loc, known, err := sysvolFor(c.cfg, c.dc)
		if err != nil || known != c.known || (known && loc.String() != c.want) {
			t.Errorf("%s: %v %v %v, want %q", c.name, loc, known, err, c.want)
		}
	}
	if _, _, err := sysvolFor(&Config{Sysvol: "smb://u:p@dc/SYSVOL"}, nil); err == nil {
		t.Error("a bad setting is not an error")
	}
}

func TestNTLMAccount(t *testing.T) {
	for _, c := range []struct{ in, user, domain string }{
		{"svc-vigie@mairie.local", "svc-vigie@mairie.local", ""},
		{`MAIRIE\svc-vigie`, "svc-vigie", "MAIRIE"},
	} {
		u, d, err := ntlmAccount(c.in)
		if err != nil || u != c.user || d != c.domain {
			t.Errorf("%q -> %q %q %v", c.in, u, d, err)
		}
	}
	for _, in := range []string{"", "CN=svc,CN=Users,DC=mairie,DC=local", `\svc`, `MAIRIE\`} {
		if _, _, err := ntlmAccount(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// gpo is a minimal SYSVOL with one policy; extra files are added to it.
func gpo(extra map[string]string) fstest.MapFS {
	m := fstest.MapFS{"mairie.test/Policies/{31B2F340-016D-11D2-945F-00C04FB984F9}/GPT.INI": {Data: []byte("[General]\r\nVersion=1\r\n")}}
	for k, v := range extra {
		m[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return m
}

const (
	prefDir = "mairie.test/Policies/{31B2F340-016D-11D2-945F-00C04FB984F9}/Machine/Preferences/Groups/"
	withPwd = `<Groups><User name="a"><Properties cpassword="abc" userName="Administrateur"/></User></Groups>`
)

func TestScanSysvolBounds(t *testing.T) {
	ctx := context.Background()
	lim := sysvolLimits{entries: 100, depth: 8, file: 1000, total: 1500}
	s, err := scanSysvolFS(ctx, gpo(map[string]string{prefDir + "Groups.xml": withPwd, "mairie.test/scripts/logon.bat": "net use"}), "t", lim)
	if err != nil || s.GPOs != 1 || s.Files != 1 || len(s.Findings) != 1 || s.Bytes != int64(len(withPwd)) {
		t.Fatalf("scan = %+v, %v", s, err)
	}
	big := strings.Repeat(" ", 900)
	for name, c := range map[string]struct {
		fsys fs.FS
		want string
	}{
		"no policy at all":   {fstest.MapFS{"mairie.test/scripts/logon.bat": {Data: []byte("x")}}, "aucune stratégie de groupe"},
		"empty":              {fstest.MapFS{}, "aucune stratégie de groupe"},
		"one file too big":   {gpo(map[string]string{prefDir + "Groups.xml": withPwd + strings.Repeat(" ", 1000)}), "plus de 1000 octets"},
		"too many bytes":     {gpo(map[string]string{prefDir + "a.xml": "<a>" + big + "</a>", prefDir + "b.xml": "<b>" + big + "</b>"}), "plus de 1500 octets"},
		"too many entries":   {gpo(manyFiles(120)), "plus de 100 fichiers et dossiers"},
		"too deep":           {gpo(map[string]string{"a/b/c/d/e/f/g/h/i/j/k.txt": "x"}), "plus de 8 niveaux"},
		"malformed XML":      {gpo(map[string]string{prefDir + "Broken.xml": "<Groups><User"}), "Broken.xml"},
		"unreadable folder":  {unreadable{gpo(nil)}, "mairie.test"},
		"cancelled or timed": {gpo(nil), "interrompue"},
	} {
		cctx := ctx
		if name == "cancelled or timed" {
			c2, cancel := context.WithCancel(ctx)
			cancel()
			cctx = c2
		}
		s, err := scanSysvolFS(cctx, c.fsys, "t", lim)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %+v, %v (want an error with %q)", name, s, err, c.want)
		}
	}
}

func manyFiles(n int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m["mairie.test/scripts/f"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26))] = "x"
	}
	return m
}

// unreadable fails to open any folder but the root.
type unreadable struct{ fs.FS }

func (u unreadable) Open(name string) (fs.File, error) {
	if name != "." {
		return nil, fs.ErrPermission
	}
	return u.FS.Open(name)
}

// FuzzScanSysvolFS: whatever the tree, a finding comes only from an XML
// file under a Preferences folder that holds a non-empty cpassword, and
// the counts match the tree.
func FuzzScanSysvolFS(f *testing.F) {
	f.Add("mairie.test/Policies/{X}/Machine/Preferences/Groups/Groups.xml\nmairie.test/scripts/a.xml", []byte(withPwd))
	f.Add("Policies/{A}/User/preferences/x.XML\nPolicies/{B}/GPT.INI", []byte(`<a cpassword=" "/>`))
	f.Fuzz(func(t *testing.T, paths string, content []byte) {
		m := fstest.MapFS{}
		for _, p := range strings.Split(paths, "\n") {
			if fs.ValidPath(p) && p != "." {
				m[p] = &fstest.MapFile{Data: content}
			}
		}
		s, err := scanSysvolFS(context.Background(), m, "t", sysvolLimits{entries: 1000, depth: 16, file: 1 << 16, total: 1 << 20})
		if err != nil {
			return
		}
		if s.GPOs == 0 {
			t.Fatal("a scan without any policy folder passed")
		}
		for _, g := range s.Findings {
			mf, ok := m[g.File]
			if !ok || !underPreferences(g.File) || !strings.EqualFold(g.File[max(0, len(g.File)-4):], ".xml") {
				t.Fatalf("finding %+v is not a Preferences XML file of the tree", g)
			}
			if !strings.Contains(strings.ToLower(string(mf.Data)), "cpassword") {
				t.Fatalf("finding %+v from a file without cpassword", g)
			}
		}
		if s.Files > len(m) || s.Bytes > int64(s.Files*len(content)) {
			t.Fatalf("counts %+v for %d files", s, len(m))
		}
	})
}
