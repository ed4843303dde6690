package ad

import (
	"bufio"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/checks/checkstest"
)

func TestSIDRoundTrip(t *testing.T) {
	for _, s := range []string{"S-1-5-21-3510317065-2144368817-1424760687-500", "S-1-5-32-544", "S-1-1-0"} {
		b, err := EncodeSID(s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseSID(b)
		if err != nil || got != s {
			t.Errorf("ParseSID(EncodeSID(%s)) = %q, %v", s, got, err)
		}
	}
	for _, bad := range [][]byte{nil, {1}, {2, 0, 0, 0, 0, 0, 0, 5}, {1, 2, 0, 0, 0, 0, 0, 5, 1, 0, 0, 0}} {
		if _, err := ParseSID(bad); err == nil {
			t.Errorf("ParseSID(%v) accepted", bad)
		}
	}
}

func TestParseFileTime(t *testing.T) {
	// 134405503416821980 is a pwdLastSet samba wrote on 2026-11-30.
	got, err := ParseFileTime("134405503416821980")
	if err != nil || got.Format("2006-01-02") != "2026-11-30" {
		t.Errorf("ParseFileTime = %v, %v", got, err)
	}
	for _, never := range []string{"0", "9223372036854775807", ""} {
		if got, err := ParseFileTime(never); err != nil || !got.IsZero() {
			t.Errorf("ParseFileTime(%q) = %v, %v; want zero", never, got, err)
		}
	}
	for _, bad := range []string{"-1", "abc", "1e9"} {
		if _, err := ParseFileTime(bad); err == nil {
			t.Errorf("ParseFileTime(%q) accepted", bad)
		}
	}
}

func TestParseAccountNamesWhatItCannotRead(t *testing.T) {
	sid, _ := EncodeSID("S-1-5-21-1-2-3-1105")
	good := Entry{DN: "CN=pc,DC=x", Attrs: map[string][][]byte{"objectsid": {sid}, "useraccountcontrol": {[]byte("528384")},
		"samaccountname": {[]byte("PC$")}, "whencreated": {[]byte("20240101120000.0Z")}, "serviceprincipalname": {[]byte("a"), []byte("b")}}}
	a, err := ParseAccount(good)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Computer || a.UAC&uacTrustedForDeleg == 0 || a.RID != 1105 || a.SPNs != 2 || a.Created.Year() != 2024 {
		t.Errorf("ParseAccount = %+v", a)
	}
	for attr, want := range map[string]string{"objectsid": "objectSid", "useraccountcontrol": "userAccountControl"} {
		e := Entry{DN: good.DN, Attrs: map[string][][]byte{}}
		for k, v := range good.Attrs {
			if k != attr {
				e.Attrs[k] = v
			}
		}
		if _, err := ParseAccount(e); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("without %s: err = %v", want, err)
		}
	}
	bad := Entry{DN: good.DN, Attrs: map[string][][]byte{"objectsid": {sid}, "useraccountcontrol": {[]byte("512")}, "pwdlastset": {[]byte("x")}}}
	if _, err := ParseAccount(bad); err == nil || !strings.Contains(err.Error(), "pwdLastSet") {
		t.Errorf("bad pwdLastSet: err = %v", err)
	}
}

// metaBlob builds a replPropertyMetaData blob with the given entries.
func metaBlob(entries ...[3]uint64) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 1)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(entries)))
	b = binary.LittleEndian.AppendUint32(b, 0)
	for _, e := range entries {
		b = binary.LittleEndian.AppendUint32(b, uint32(e[0]))
		b = binary.LittleEndian.AppendUint32(b, uint32(e[1]))
		b = binary.LittleEndian.AppendUint64(b, e[2])
		b = append(b, make([]byte, 32)...)
	}
	return b
}

func TestParseReplPropertyMetaData(t *testing.T) {
	when := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	secs := uint64(when.Unix() + secs1601To1970)
	st, err := ParseReplPropertyMetaData(metaBlob([3]uint64{0x90001, 1, 1}, [3]uint64{attidDSASignature, 7, secs}))
	if err != nil || !st.Found || st.Version != 7 || !st.Time.Equal(when) {
		t.Errorf("got %+v, %v", st, err)
	}
	if st, err := ParseReplPropertyMetaData(metaBlob([3]uint64{0x90001, 1, 1})); err != nil || st.Found {
		t.Errorf("without dSASignature: %+v, %v", st, err)
	}
	blob := metaBlob([3]uint64{attidDSASignature, 1, 1})
	for name, b := range map[string][]byte{"short": blob[:10], "truncated": blob[:len(blob)-1], "version 2": append([]byte{2}, blob[1:]...)} {
		if _, err := ParseReplPropertyMetaData(b); err == nil {
			t.Errorf("%s blob accepted", name)
		}
	}
}

func TestParseReplAttributeMetaData(t *testing.T) {
	vals := [][]byte{
		[]byte("<DS_REPL_ATTR_META_DATA>\n\t<pszAttributeName>whenChanged</pszAttributeName>\n\t<dwVersion>3</dwVersion>\n\t<ftimeLastOriginatingChange>2026-01-01T00:00:00Z</ftimeLastOriginatingChange>\n</DS_REPL_ATTR_META_DATA>\n"),
		[]byte("<DS_REPL_ATTR_META_DATA>\n\t<pszAttributeName>dSASignature</pszAttributeName>\n\t<dwVersion>42</dwVersion>\n\t<ftimeLastOriginatingChange>2026-11-22T23:05:11Z</ftimeLastOriginatingChange>\n</DS_REPL_ATTR_META_DATA>\n"),
	}
	st, err := ParseReplAttributeMetaData(vals)
	if err != nil || !st.Found || st.Version != 42 || st.Time.Format(time.RFC3339) != "2026-11-22T23:05:11Z" {
		t.Errorf("got %+v, %v", st, err)
	}
	if _, err := ParseReplAttributeMetaData([][]byte{[]byte("<DS_REPL_ATTR_META_DATA><pszAttributeName>dSASignature</pszAttributeName><ftimeLastOriginatingChange>hier</ftimeLastOriginatingChange></DS_REPL_ATTR_META_DATA>")}); err == nil {
		t.Error("bad time accepted")
	}
}

// loadReg reads a `reg export` file (testdata/ad/dc/*.reg) into a fake
// registry: string values and dwords.
func loadReg(t *testing.T, name string) checkstest.Registry {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "ad", "dc", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := checkstest.Registry{Values: map[string]map[string]any{}}
	key := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			key = strings.Replace(strings.Trim(line, "[]"), "HKEY_LOCAL_MACHINE", "HKLM", 1)
			r.Values[key] = map[string]any{}
		case strings.HasPrefix(line, `"`):
			n, v, _ := strings.Cut(line, "=")
			n = strings.Trim(n, `"`)
			if strings.HasPrefix(v, "dword:") {
				d, err := strconv.ParseUint(strings.TrimPrefix(v, "dword:"), 16, 32)
				if err != nil {
					t.Fatal(err)
				}
				r.Values[key][n] = d
			} else {
				r.Values[key][n] = strings.ReplaceAll(strings.Trim(v, `"`), `\\`, `\`)
			}
		}
	}
	return r
}

func windowsDC(t *testing.T, reg string, procs ...string) *state {
	h := checkstest.Host()
	h.OS = "windows"
	h.Registry = loadReg(t, reg)
	f := checkstest.Facts{}
	for _, p := range procs {
		f.Procs = append(f.Procs, checkProcess(p))
	}
	h.Facts = f
	dc, err := ReadDCConfig(t.Context(), h)
	return &state{dc: dc, dcErr: err}
}

func TestDCFromRegistryFixtures(t *testing.T) {
	now := checkstest.Clock
	hard := windowsDC(t, "hardened.reg")
	if hard.dcErr != nil || hard.dc == nil {
		t.Fatalf("hardened: %v %v", hard.dc, hard.dcErr)
	}
	if hard.dc.Sysvol != `C:\Windows\SYSVOL\sysvol` {
		t.Errorf("sysvol = %q", hard.dc.Sysvol)
	}
	if v := judgeDCAuth(hard, now); v.res.Status != "pass" || v.blocks != 0 {
		t.Errorf("hardened auth = %s %d: %s", v.res.Status, v.blocks, v.res.Evidence.EN)
	}
	if v := judgeSpooler(hard, now); v.res.Status != "pass" {
		t.Errorf("hardened spooler = %s: %s", v.res.Status, v.res.Evidence.EN)
	}

	def := windowsDC(t, "defaults.reg", "spoolsv.exe")
	v := judgeDCAuth(def, now)
	if v.res.Status != "fail" || v.blocks != 2 {
		t.Errorf("defaults auth = %s blocks %d", v.res.Status, v.blocks)
	}
	for _, m := range []string{"LM", "NTLMv1", "LDAP signing", "SMB signing", "channel binding"} {
		if !strings.Contains(v.res.Evidence.EN, m) {
			t.Errorf("defaults auth evidence misses %q: %s", m, v.res.Evidence.EN)
		}
	}
	if v := judgeSpooler(def, now); v.res.Status != "fail" || v.blocks != 2 {
		t.Errorf("running spooler = %s blocks %d", v.res.Status, v.blocks)
	}
	if v := judgeSpooler(windowsDC(t, "defaults.reg"), now); v.res.Status != "warn" {
		t.Errorf("stopped spooler = %s", v.res.Status)
	}

	member := windowsDC(t, "member-server.reg")
	if member.dc != nil || member.dcErr != nil {
		t.Fatalf("member server read as DC: %+v %v", member.dc, member.dcErr)
	}
	if v := judgeDCAuth(member, now); v.res.Status != "not-applicable" || !strings.Contains(v.res.Evidence.EN, "not a domain controller") {
		t.Errorf("member server = %s: %s", v.res.Status, v.res.Evidence.EN)
	}
}

func readTestparm(t *testing.T, name string) Testparm {
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "ad", "dc", name))
	if err != nil {
		t.Fatal(err)
	}
	return ParseTestparm(b)
}

func TestDCFromTestparmFixtures(t *testing.T) {
	// testparm-samba417-default.txt: `testparm -s -v` on the test domain
	// controller checks/ad/adtest provisions (Samba 4.17, Debian 12).
	dc, err := DCFromTestparm(readTestparm(t, "testparm-samba417-default.txt"))
	if err != nil || dc == nil {
		t.Fatalf("default: %v %v", dc, err)
	}
	if dc.LDAPSigning != "required" || !dc.SMBSigningRequired || dc.NTLMv1Accepted || dc.LMAccepted || dc.Sysvol != "/var/lib/samba/state/sysvol" {
		t.Errorf("default samba = %+v", dc)
	}
	weak, err := DCFromTestparm(readTestparm(t, "testparm-weak.txt"))
	if err != nil || weak == nil {
		t.Fatal(err)
	}
	if weak.LDAPSigning != "none" || weak.SMBSigningRequired || !weak.NTLMv1Accepted || !weak.LMAccepted {
		t.Errorf("weak samba = %+v", weak)
	}
	if v := judgeDCAuth(&state{dc: weak}, checkstest.Clock); v.res.Status != "fail" || v.blocks != 2 {
		t.Errorf("weak samba auth = %s %d", v.res.Status, v.blocks)
	}
	if fs, err := DCFromTestparm(readTestparm(t, "testparm-fileserver.txt")); fs != nil || err != nil {
		t.Errorf("file server read as DC: %+v %v", fs, err)
	}
	// A DC whose output lacks a setting is an error naming it, not a pass.
	tp := readTestparm(t, "testparm-weak.txt")
	delete(tp["global"], "server signing")
	if _, err := DCFromTestparm(tp); err == nil || !strings.Contains(err.Error(), "server signing") {
		t.Errorf("missing server signing: %v", err)
	}
}

func TestScanSysvolFixture(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "mairie.test", "Policies", "{X}", "Machine", "Preferences", "Groups")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "ad", "sysvol", "Groups.xml"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "Groups.xml"), src, 0o644)
	// The same file after MS14-025: cpassword emptied. Not a finding.
	os.WriteFile(filepath.Join(dir, "Old.xml"), []byte(strings.Replace(string(src), `cpassword="j1Uyj3Vx8TY9LtLZil2uAuZkFQA/4latT76ZwgdHdhw"`, `cpassword=""`, 1)), 0o644)
	// A cpassword outside Preferences is not a GPP file.
	os.WriteFile(filepath.Join(root, "notes.xml"), src, 0o644)
	s, err := ScanSysvol(t.Context(), root)
	if err != nil {
		t.Fatal(err)
	}
	if s.Files != 2 || len(s.Findings) != 1 || s.Findings[0].Element != "User" || s.Findings[0].Account != "Administrateur" {
		t.Errorf("scan = %+v", s)
	}
	// Malformed XML is an error naming the file, not a pass.
	os.WriteFile(filepath.Join(dir, "Broken.xml"), []byte("<Groups><User"), 0o644)
	if _, err := ScanSysvol(t.Context(), root); err == nil || !strings.Contains(err.Error(), "Broken.xml") {
		t.Errorf("broken file: %v", err)
	}
	if _, err := ScanSysvol(t.Context(), filepath.Join(root, "absent")); err == nil {
		t.Error("missing SYSVOL accepted")
	}
	// A Windows DC's SYSVOL\sysvol\<domain> is a junction to SYSVOL\domain:
	// a linked folder is followed, not skipped (nor, without its
	// policies, passed).
	os.Remove(filepath.Join(dir, "Broken.xml"))
	linked := t.TempDir()
	if err := os.Rename(filepath.Join(root, "mairie.test"), filepath.Join(linked, "domain")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(linked, "domain"), filepath.Join(root, "mairie.test")); err != nil {
		t.Fatal(err)
	}
	if s, err := ScanSysvol(t.Context(), root); err != nil || s.GPOs != 1 || len(s.Findings) != 1 {
		t.Errorf("through a linked folder: %+v, %v", s, err)
	}
}

func TestWinVersionFromAD(t *testing.T) {
	for _, c := range []struct {
		os, ver string
		win     bool
		build   int
		server  bool
		ed      string
	}{
		{"Windows 7 Professional", "6.1 (7601)", true, 7601, false, "Professional"},
		{"Windows 10 Entreprise", "10.0 (19045)", true, 19045, false, "Enterprise"},
		{"Windows 10 Enterprise LTSC", "10.0 (17763)", true, 17763, false, "EnterpriseS"},
		{"Windows Server 2012 R2 Standard", "6.3 (9600)", true, 9600, true, "ServerStandard"},
		{"Samba", "4.17.12-Debian", false, 0, false, ""},
		{"Windows 11 Pro", "", false, 0, false, ""},
	} {
		v, ok := WinVersionFromAD(c.os, c.ver)
		if ok != c.win || (ok && (v.CurrentBuild != c.build || v.IsServer() != c.server || v.EditionID != c.ed)) {
			t.Errorf("WinVersionFromAD(%q, %q) = %+v, %v", c.os, c.ver, v, ok)
		}
	}
}

func TestAncestorsFollowNestingAndCycles(t *testing.T) {
	anc := ancestors(map[string][]string{
		"helpdesk": {"it"}, "it": {"domain admins", "helpdesk"}, "domain admins": {"administrators"},
	})
	got := anc("helpdesk")
	for _, g := range []string{"helpdesk", "it", "domain admins", "administrators"} {
		if !got[g] {
			t.Errorf("ancestors(helpdesk) misses %s: %v", g, got)
		}
	}
	// The cycle helpdesk <-> it, asked from the other end, is complete too.
	if got := anc("it"); !got["helpdesk"] || !got["administrators"] {
		t.Errorf("ancestors(it) = %v", got)
	}
	if got := anc("orphan"); len(got) != 1 {
		t.Errorf("ancestors(orphan) = %v", got)
	}
}
