package agent

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vigie-cyber/vigie/protocol"
)

const fullConfig = `# a real-looking configuration
entity = "Mairie de Exemple"
sector = "commune"
domains = ["mairie-exemple.fr", "exemple.bzh"]
tls_endpoints = ["webmail.mairie-exemple.fr:443", "[2001:db8::1]:8443"]
backup_paths = ["/srv/sauvegardes"]
state_dir = "/var/lib/vigie"

[schedule]
interval = "12h"
splay = "30m"

[hub]
url = "https://hub.region.example"
fingerprint = "AB:CD:efefefefefefefefefefefefefefefefefefefefefefefefefefefefefef"
proxy = "http://proxy.mairie:3128"

[spool]
max_files = 50
max_bytes = 10485760

[scan]
timeout = "30s"

[answers]
"org.incident-contact" = "oui"
"org.offline-backup" = "non"
`

func TestParseConfig(t *testing.T) {
	t.Parallel()
	c, err := ParseConfig("vigie.toml", []byte(fullConfig))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Entity: "Mairie de Exemple", Sector: "commune",
		Domains:      []string{"mairie-exemple.fr", "exemple.bzh"},
		TLSEndpoints: []string{"webmail.mairie-exemple.fr:443", "[2001:db8::1]:8443"},
		BackupPaths:  []string{"/srv/sauvegardes"},
		Answers:      map[string]string{"org.incident-contact": "oui", "org.offline-backup": "non"},
		StateDir:     "/var/lib/vigie",
		Schedule:     ScheduleConfig{Interval: 12 * time.Hour, Splay: 30 * time.Minute},
		Hub: HubConfig{URL: "https://hub.region.example", Proxy: "http://proxy.mairie:3128",
			Fingerprint: "abcd" + strings.Repeat("ef", 30)},
		Spool: SpoolConfig{MaxFiles: 50, MaxBytes: 10 << 20},
		Scan:  ScanConfig{Timeout: 30 * time.Second},
	}
	if diff := cmp.Diff(want, c, cmpopts.IgnoreUnexported(Config{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if tg := c.Targets(); tg.Sector != "commune" || len(tg.Domains) != 2 || tg.Answers["org.offline-backup"] != "non" {
		t.Errorf("targets %+v", tg)
	}
	// Empty file: every default.
	d, err := ParseConfig("empty.toml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Schedule.Interval != 24*time.Hour || d.Schedule.Splay != time.Hour || d.Sector != "other" ||
		d.Spool.MaxFiles != DefaultMaxFiles || d.StateDir != DefaultStateDir() {
		t.Errorf("defaults %+v", d)
	}
	// splay = "0s" written in the file means no splay, not the default.
	z, err := ParseConfig("zero.toml", []byte("[schedule]\nsplay = \"0s\"\n"))
	if err != nil || z.Schedule.Splay != 0 {
		t.Errorf("explicit zero splay: %v, %v", z.Schedule.Splay, err)
	}
}

// TestConfigErrorsNameFieldAndLine: a secretary's typo is pointed at.
func TestConfigErrorsNameFieldAndLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, src, want string
	}{
		{"unknown key", "sector = \"commune\"\n\n[schedule]\nintervall = \"1h\"\n", "f:4: schedule.intervall : clé inconnue"},
		{"unknown top key", "entite = \"x\"\n", "f:1: entite : clé inconnue"},
		{"non-ASCII bare key", "entité = \"x\"\n", "f:1:6:"},
		{"bad sector", "entity = \"x\"\nsector = \"boulangerie\"\n", "f:2: sector : secteur \"boulangerie\" inconnu"},
		{"bad duration", "[schedule]\ninterval = \"daily\"\n", "f:2:"},
		{"interval too short", "[schedule]\ninterval = \"1m\"\n", "f:2: schedule.interval : 1m0s hors limites"},
		{"splay > interval", "[schedule]\ninterval = \"1h\"\nsplay = \"2h\"\n", "f:3: schedule.splay"},
		{"http hub", "[hub]\nurl = \"http://hub.example\"\n", "f:2: hub.url : \"http://hub.example\" doit être une adresse https://"},
		{"dotted key", "hub.url = \"ftp://x\"\n", "f:1: hub.url"},
		{"bad fingerprint", "[hub]\nurl = \"https://h\"\nfingerprint = \"1234\"\n", "f:3: hub.fingerprint : attendu : 64 chiffres"},
		{"bad proxy", "[hub]\nproxy = \"socks://p\"\n", "f:2: hub.proxy"},
		{"bad domain", "domains = [\"mairie exemple.fr\"]\n", "f:1: domains : \"mairie exemple.fr\" n'est pas un nom de domaine"},
		{"bad endpoint", "tls_endpoints = [\"webmail\"]\n", "f:1: tls_endpoints : \"webmail\" doit être de la forme hôte:port"},
		{"relative backup path", "backup_paths = [\"sauvegardes\"]\n", "f:1: backup_paths"},
		{"relative CA file", "tls_ca_file = \"ca.pem\"\n", "f:1: tls_ca_file : \"ca.pem\" doit être un chemin absolu"},
		{"missing CA file", "entity = \"x\"\ntls_ca_file = \"/nonexistent/ca.pem\"\n", "f:2: tls_ca_file : autorité de certification : open /nonexistent/ca.pem"},
		{"type error", "domains = \"mairie.fr\"\n", "f:1: domains : type incorrect"},
		{"syntax error", "sector = \"commune\n", "f:1:"},
		{"unknown question", "[answers]\n\"org.offline-backups\" = \"oui\"\n", "f:2: answers.org.offline-backup"},
		{"bad answer", "[answers]\n\"org.mfa-mail\" = \"bof\"\n", "f:2: answers.org.mfa-mail : réponse \"bof\" invalide"},
		{"nested answers", "[answers.x]\ny = \"z\"\n", "f:1: answers.x : type incorrect"},
		{"spool too small", "[spool]\nmax_bytes = 10\n", "f:2: spool.max_bytes"},
		{"default at fault has no line", "[schedule]\nsplay = \"30h\"\n", "f:2: schedule.splay"},
	} {
		_, err := ParseConfig("f", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
	var ce *ConfigError
	if _, err := ParseConfig("f", []byte("sector = 'x'\n")); !errors.As(err, &ce) || ce.Field != "sector" || ce.Line != 1 {
		t.Errorf("ConfigError %+v", ce)
	}
}

// TestDefaultConfigParses: the file written at install is valid and says
// what was given.
func TestDefaultConfigParses(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"/var/lib/vigie", `C:\ProgramData\Vigie`} {
		data := DefaultConfig("https://hub.region.example", strings.Repeat("a1", 32), dir)
		c, err := ParseConfig("default", data)
		if err != nil {
			if strings.HasPrefix(dir, "C:") && strings.Contains(err.Error(), "state_dir") {
				continue // a Windows path is not absolute on Linux; parse only
			}
			t.Fatalf("%s\n%s", err, data)
		}
		if c.Hub.URL != "https://hub.region.example" || c.StateDir != dir || c.Hub.Fingerprint != strings.Repeat("a1", 32) {
			t.Errorf("%+v", c)
		}
	}
	p := filepath.Join(t.TempDir(), "v.toml")
	os.WriteFile(p, DefaultConfig("https://h.example", "", "/tmp/x"), 0o600)
	if _, err := LoadConfig(p); err != nil {
		t.Error(err)
	}
	if _, err := LoadConfig(p + ".missing"); err == nil || !strings.Contains(err.Error(), "illisible") {
		t.Errorf("missing file: %v", err)
	}
}

// FuzzParseConfig: any input gives a config or an error, never a panic or a
// hang, and an accepted config satisfies the invariants the agent relies on.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(fullConfig))
	f.Add([]byte("[schedule]\ninterval = 5\n"))
	f.Add([]byte("a = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["))
	f.Add([]byte("[hub]\nurl = \"https://x\"\n[hub]\nurl = \"https://y\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig("fuzz", data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if c.Schedule.Interval < 5*time.Minute || c.Schedule.Splay < 0 || c.Schedule.Splay > c.Schedule.Interval ||
			c.Spool.MaxFiles < 1 || c.Spool.MaxBytes < 2<<20 || c.StateDir == "" || c.Scan.Timeout < time.Second {
			t.Fatalf("invalid config accepted: %+v", c)
		}
		if c.Hub.URL != "" && !strings.HasPrefix(c.Hub.URL, "https://") {
			t.Fatalf("non-https hub accepted: %q", c.Hub.URL)
		}
	})
}

func TestConfigTLSCAFile(t *testing.T) {
	t.Parallel()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "CA Mairie"}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	cfg, err := ParseConfig("f", []byte("tls_ca_file = "+strconv.Quote(ca)+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	roots := cfg.Targets().TLSRoots
	cert, _ := x509.ParseCertificate(der)
	if roots == nil {
		t.Fatal("tls_ca_file not loaded into the scan targets")
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots}); err != nil {
		t.Errorf("the configured CA is not trusted: %v", err)
	}
	if cfg0, _ := ParseConfig("f", nil); cfg0.Targets().TLSRoots != nil {
		t.Error("without tls_ca_file the system roots (nil) must be used")
	}
}

// TestSectorsFromProtocol: the configuration accepts exactly protocol's
// sectors and names them all when refusing one, and no agent-side source
// keeps a sector list of its own (there were three: here, in vigie scan and
// in the hygiene family).
func TestSectorsFromProtocol(t *testing.T) {
	t.Parallel()
	for _, s := range protocol.Sectors {
		c, err := ParseConfig("v.toml", []byte("sector = \""+string(s)+"\"\n"))
		if err != nil || c.Sector != string(s) {
			t.Errorf("sector %q: %v", s, err)
		}
	}
	_, err := ParseConfig("v.toml", []byte("sector = \"ports\"\n"))
	if err == nil {
		t.Fatal("sector \"ports\" accepted")
	}
	for _, s := range protocol.Sectors {
		if !strings.Contains(err.Error(), string(s)) {
			t.Errorf("refusal %q does not name %q", err, s)
		}
	}
	literal := regexp.MustCompile(`"(commune|hospital)"`)
	for _, glob := range []string{"*.go", "../cmd/vigie/*.go", "../checks/hygiene/hygiene.go", "../installer/*.go"} {
		files, _ := filepath.Glob(glob)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if m := literal.Find(data); m != nil {
				t.Errorf("%s spells the sector %s itself: use protocol.Sectors", f, m)
			}
		}
	}
}

func TestConfigADSection(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pass := filepath.Join(dir, "ad.pass")
	if err := os.WriteFile(pass, []byte("Lecture-2026!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ad := func(body string) string { return "[ad]\n" + body }
	cfg, err := ParseConfig("vigie.toml", []byte(ad(`url = "ldaps://dc1.mairie.local"
bind = "simple"
user = "svc-vigie@mairie.local"
password_file = `+strconv.Quote(pass)+`
base_dn = "DC=mairie,DC=local"
sysvol = "/mnt/sysvol"
`)))
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.Targets().AD
	if got == nil || got.URL != "ldaps://dc1.mairie.local" || got.Bind != "simple" || got.User != "svc-vigie@mairie.local" ||
		got.Password != "Lecture-2026!" || got.BaseDN != "DC=mairie,DC=local" || got.Sysvol != "/mnt/sysvol" {
		t.Fatalf("targets.AD = %+v", got)
	}
	if cfg0, _ := ParseConfig("f", nil); cfg0.Targets().AD != nil {
		t.Error("without [ad] the AD target must be nil (checks run only on a DC)")
	}

	open := filepath.Join(dir, "open.pass")
	os.WriteFile(open, []byte("secret"), 0o644)
	os.Chmod(open, 0o644)
	empty := filepath.Join(dir, "empty.pass")
	os.WriteFile(empty, []byte("\n"), 0o600)
	simple := func(extra string) string {
		return ad("bind = \"simple\"\nuser = \"svc@x.local\"\n" + extra)
	}
	for _, c := range []struct{ src, field, msg string }{
		{ad(`url = "https://dc1"`), "ad.url", "ldaps://"},
		{ad(`bind = "ntlm"`), "ad.bind", "inconnu"},
		{ad("bind = \"simple\"\npassword_file = " + strconv.Quote(pass)), "ad.user", "compte de lecture"},
		{simple(""), "ad.password_file", "fichier du mot de passe"},
		{simple(`password_file = "ad.pass"`), "ad.password_file", "absolu"},
		{simple("password_file = " + strconv.Quote(open)), "ad.password_file", "chmod 600"},
		{simple("password_file = " + strconv.Quote(empty)), "ad.password_file", "vide"},
		{simple("password_file = " + strconv.Quote(filepath.Join(dir, "absent"))), "ad.password_file", "illisible"},
		{simple("password_file = " + strconv.Quote(pass) + "\nsysvol = \"smb://svc@dc1/SYSVOL\""), "ad.sysvol", "ni compte"},
		{simple("password_file = " + strconv.Quote(pass) + "\nbase_dn = \"mairie\""), "ad.base_dn", "DN"},
		{ad(`sauvegarde = "oui"`), "ad.sauvegarde", "inconnue"},
	} {
		_, err := ParseConfig("vigie.toml", []byte(c.src))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != c.field || !strings.Contains(ce.Msg, c.msg) {
			t.Errorf("%q: err = %v, want %s mentioning %q", c.src, err, c.field, c.msg)
		}
	}
	// Kerberos binds with the machine account: Windows only.
	_, err = ParseConfig("vigie.toml", []byte(ad(`bind = "kerberos"`)))
	if runtime.GOOS != "windows" {
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != "ad.bind" || !strings.Contains(ce.Msg, "Windows") {
			t.Errorf("kerberos off Windows: %v", err)
		}
	} else if err != nil {
		t.Errorf("kerberos on Windows: %v", err)
	}
}
