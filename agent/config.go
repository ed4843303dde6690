package agent

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/miekg/dns"

	"github.com/vigie-cyber/vigie/checks/ad"
	"github.com/vigie-cyber/vigie/checks/organisation"
	"github.com/vigie-cyber/vigie/checks/registry"
	tlscheck "github.com/vigie-cyber/vigie/checks/tls"
	"github.com/vigie-cyber/vigie/protocol"
)

// The configuration is TOML, read with github.com/BurntSushi/toml: it is
// maintained, has no dependencies, reports the line and column of syntax and
// type errors (toml.ParseError) and lists unknown keys (MetaData.Undecoded),
// so a typo such as "intervall" is refused instead of silently ignored. TOML
// rather than YAML because a secretary editing the file by hand cannot break
// it with indentation.

// Config is the agent's configuration file.
type Config struct {
	// Entity is the entity's name as shown to advisers (the hub's name at
	// enrolment wins when both are set).
	Entity string `toml:"entity"`
	// Sector is one of protocol.Sectors (commune, hospital, port, other).
	Sector       string   `toml:"sector"`
	Domains      []string `toml:"domains"`
	TLSEndpoints []string `toml:"tls_endpoints"`
	// TLSCAFile is a PEM file of the entity's own certificate authority,
	// trusted beside the system roots when checking TLS certificates.
	TLSCAFile   string            `toml:"tls_ca_file"`
	BackupPaths []string          `toml:"backup_paths"`
	Answers     map[string]string `toml:"answers"` // questionnaire answers by question ID
	StateDir    string            `toml:"state_dir"`
	Schedule    ScheduleConfig    `toml:"schedule"`
	Hub         HubConfig         `toml:"hub"`
	Spool       SpoolConfig       `toml:"spool"`
	Scan        ScanConfig        `toml:"scan"`
	DNS         DNSConfig         `toml:"dns"`
	// Assets are appliances no agent runs on ([[assets]]: firewalls, NAS,
	// hypervisors), carried in every scorecard (config_assets.go).
	Assets []AssetConfig `toml:"assets"`
	// AD names an Active Directory to examine; nil when the section is
	// absent (the AD checks then run only on a domain controller).
	AD *ADConfig `toml:"ad"`

	tlsRoots   *x509.CertPool // loaded from TLSCAFile by validate
	dnsAnchors []dns.RR       // loaded from DNS.TrustAnchorFile (or Debian's) by validate
	dnsHints   []string       // loaded from DNS.RootHintsFile (or Debian's), "ip:53"
	ad         *ad.Config     // AD with the password read and the CA loaded, by validate
	splaySet   bool           // schedule.splay written in the file, even as 0
}

// ScheduleConfig says when scans run.
type ScheduleConfig struct {
	Interval time.Duration `toml:"interval"` // default 24h
	Splay    time.Duration `toml:"splay"`    // random delay added to each run, default 1h
}

// HubConfig says where scorecards go and how the hub is recognised.
type HubConfig struct {
	URL string `toml:"url"`
	// Fingerprint is the hex SHA-256 of the hub certificate's
	// SubjectPublicKeyInfo, printed by `vigie-hub serve`; needed at enrolment
	// for a self-signed hub.
	Fingerprint string `toml:"fingerprint"`
	// CAFile is a PEM file of the CA that signed the hub certificate.
	CAFile string `toml:"ca_file"`
	// Proxy is an http(s):// proxy URL; empty uses HTTPS_PROXY from the
	// environment.
	Proxy string `toml:"proxy"`
	// Mode is "online" (default: upload to URL) or "offline": each signed
	// scorecard is written, encrypted to the hub, to OfflineDir (a USB
	// stick) and never uploaded (config_offline.go).
	Mode       string `toml:"mode"`
	OfflineDir string `toml:"offline_dir"`
}

// SpoolConfig bounds the disk queue of scorecards waiting for the hub.
type SpoolConfig struct {
	MaxFiles int   `toml:"max_files"` // default 200
	MaxBytes int64 `toml:"max_bytes"` // default 64 MiB
}

// ScanConfig tunes the scan itself.
type ScanConfig struct {
	Timeout time.Duration `toml:"timeout"` // per check, default 20s
}

const (
	DefaultInterval = 24 * time.Hour
	DefaultSplay    = time.Hour
	DefaultMaxFiles = 200
	DefaultMaxBytes = 64 << 20
	// MaxConfigSize bounds the configuration file.
	MaxConfigSize = 1 << 20
)

// DefaultConfigPath is the system configuration file of this OS.
func DefaultConfigPath() string {
	if runtime.GOOS == "windows" {
		return filepath.Join(programData(), "Vigie", "vigie.toml")
	}
	return "/etc/vigie/vigie.toml"
}

// DefaultStateDir is the system state folder of this OS (key, state, spool).
func DefaultStateDir() string {
	if runtime.GOOS == "windows" {
		return filepath.Join(programData(), "Vigie")
	}
	return "/var/lib/vigie"
}

func programData() string {
	if pd := os.Getenv("ProgramData"); pd != "" {
		return pd
	}
	return `C:\ProgramData`
}

// ConfigError is a validation error naming the field and, when known, the
// line of the file where it was set.
type ConfigError struct {
	File  string
	Line  int // 0 when the field is absent from the file
	Field string
	Msg   string
}

func (e *ConfigError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s : %s", e.File, e.Line, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: %s : %s", e.File, e.Field, e.Msg)
}

// LoadConfig reads and validates the configuration file at path.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("configuration %s illisible : %w", path, err)
	}
	return ParseConfig(path, data)
}

// ParseConfig parses and validates a configuration; name is used in errors.
// Defaults fill the fields left unset.
func ParseConfig(name string, data []byte) (*Config, error) {
	if len(data) > MaxConfigSize {
		return nil, fmt.Errorf("%s : fichier de configuration trop gros (%d octets, maximum %d)", name, len(data), MaxConfigSize)
	}
	var c Config
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			if pe.LastKey != "" {
				return nil, fmt.Errorf("%s:%d:%d: %s : %s", name, pe.Position.Line, pe.Position.Col, pe.LastKey, pe.Message)
			}
			return nil, fmt.Errorf("%s:%d:%d: %s", name, pe.Position.Line, pe.Position.Col, pe.Message)
		}
		if m := tomlLineErr.FindStringSubmatch(err.Error()); m != nil {
			return nil, fmt.Errorf("%s:%s: %s : type incorrect (%s)", name, m[1], m[2], m[3])
		}
		return nil, fmt.Errorf("%s : %v", name, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		key := und[0]
		if len(key) > 1 && key[0] == "answers" {
			// answers is a map of strings: a nested table there is a type error.
			return nil, &ConfigError{name, lineOf(data, key), key.String(), "les réponses au questionnaire sont des chaînes (question = \"oui\")"}
		}
		return nil, &ConfigError{name, lineOf(data, key), key.String(), "clé inconnue (faute de frappe ?)"}
	}
	// An explicit splay = "0s" (every agent on time, one server) is kept;
	// only an absent one takes the default.
	c.splaySet = md.IsDefined("schedule", "splay")
	c.applyDefaults()
	if err := c.validate(name, data); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) applyDefaults() {
	if c.Sector == "" {
		c.Sector = string(protocol.SectorOther)
	}
	if c.StateDir == "" {
		c.StateDir = DefaultStateDir()
	}
	if c.Schedule.Interval == 0 {
		c.Schedule.Interval = DefaultInterval
	}
	if c.Schedule.Splay == 0 && !c.splaySet {
		c.Schedule.Splay = DefaultSplay
		if c.Schedule.Interval < 4*DefaultSplay {
			c.Schedule.Splay = c.Schedule.Interval / 4
		}
	}
	if c.Spool.MaxFiles == 0 {
		c.Spool.MaxFiles = DefaultMaxFiles
	}
	if c.Spool.MaxBytes == 0 {
		c.Spool.MaxBytes = DefaultMaxBytes
	}
	if c.Scan.Timeout == 0 {
		c.Scan.Timeout = 20 * time.Second
	}
}

// tomlLineErr matches the decoder's type errors, which are not ParseErrors.
var tomlLineErr = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]*)"\): (.*)$`)

var hexFingerprint = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (c *Config) validate(name string, src []byte) error {
	bad := func(msg string, key ...string) error {
		return &ConfigError{name, lineOf(src, key), strings.Join(key, "."), msg}
	}
	if _, err := protocol.ParseSector(c.Sector); err != nil {
		return bad(err.Error(), "sector")
	}
	if len(c.Entity) > 200 {
		return bad("nom trop long (200 caractères au plus)", "entity")
	}
	for _, d := range c.Domains {
		if !validDomain(d) {
			return bad(fmt.Sprintf("%q n'est pas un nom de domaine (exemple : mairie-exemple.fr)", d), "domains")
		}
	}
	for _, ep := range c.TLSEndpoints {
		host, port, err := net.SplitHostPort(ep)
		if err != nil || host == "" || port == "" {
			return bad(fmt.Sprintf("%q doit être de la forme hôte:port (exemple : webmail.mairie-exemple.fr:443)", ep), "tls_endpoints")
		}
	}
	if c.TLSCAFile != "" {
		if !filepath.IsAbs(c.TLSCAFile) && !strings.HasPrefix(c.TLSCAFile, "/") {
			return bad(fmt.Sprintf("%q doit être un chemin absolu", c.TLSCAFile), "tls_ca_file")
		}
		roots, err := tlscheck.LoadRoots(c.TLSCAFile)
		if err != nil {
			return bad(err.Error(), "tls_ca_file")
		}
		c.tlsRoots = roots
	}
	for _, p := range c.BackupPaths {
		if !filepath.IsAbs(p) && !strings.HasPrefix(p, "/") {
			return bad(fmt.Sprintf("%q doit être un chemin absolu", p), "backup_paths")
		}
	}
	if !filepath.IsAbs(c.StateDir) && !strings.HasPrefix(c.StateDir, "/") {
		return bad(fmt.Sprintf("%q doit être un chemin absolu", c.StateDir), "state_dir")
	}
	if c.Schedule.Interval < 5*time.Minute || c.Schedule.Interval > 31*24*time.Hour {
		return bad(fmt.Sprintf("%v hors limites (entre 5m et 744h)", c.Schedule.Interval), "schedule", "interval")
	}
	if c.Schedule.Splay < 0 || c.Schedule.Splay > c.Schedule.Interval {
		return bad(fmt.Sprintf("%v hors limites (entre 0 et l'intervalle, %v)", c.Schedule.Splay, c.Schedule.Interval), "schedule", "splay")
	}
	if c.Hub.URL != "" {
		u, err := url.Parse(c.Hub.URL)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return bad(fmt.Sprintf("%q doit être une adresse https:// (exemple : https://hub.region.example)", c.Hub.URL), "hub", "url")
		}
	}
	if c.Hub.Fingerprint != "" {
		c.Hub.Fingerprint = NormalizeFingerprint(c.Hub.Fingerprint)
		if !hexFingerprint.MatchString(c.Hub.Fingerprint) {
			return bad("attendu : 64 chiffres hexadécimaux (SHA-256 affiché par vigie-hub serve)", "hub", "fingerprint")
		}
	}
	if c.Hub.CAFile != "" && !filepath.IsAbs(c.Hub.CAFile) && !strings.HasPrefix(c.Hub.CAFile, "/") {
		return bad(fmt.Sprintf("%q doit être un chemin absolu", c.Hub.CAFile), "hub", "ca_file")
	}
	if c.Hub.Proxy != "" {
		u, err := url.Parse(c.Hub.Proxy)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad(fmt.Sprintf("%q doit être une adresse http:// ou https:// (exemple : http://proxy.mairie:3128)", c.Hub.Proxy), "hub", "proxy")
		}
	}
	if err := c.validateOffline(bad); err != nil {
		return err
	}
	if c.Spool.MaxFiles < 1 || c.Spool.MaxFiles > 100000 {
		return bad(fmt.Sprintf("%d hors limites (entre 1 et 100000)", c.Spool.MaxFiles), "spool", "max_files")
	}
	if c.Spool.MaxBytes < 2<<20 || c.Spool.MaxBytes > 16<<30 {
		return bad(fmt.Sprintf("%d hors limites (entre 2 Mio et 16 Gio)", c.Spool.MaxBytes), "spool", "max_bytes")
	}
	if c.Scan.Timeout < time.Second || c.Scan.Timeout > 10*time.Minute {
		return bad(fmt.Sprintf("%v hors limites (entre 1s et 10m)", c.Scan.Timeout), "scan", "timeout")
	}
	if err := c.validateDNS(bad); err != nil {
		return err
	}
	if err := c.validateAssets(name, src); err != nil {
		return err
	}
	if c.AD != nil {
		if err := c.validateAD(bad); err != nil {
			return err
		}
	}
	known := map[string]bool{}
	for _, q := range organisation.Questions() {
		known[q.ID] = true
	}
	for k, v := range c.Answers {
		if !known[k] {
			return bad(fmt.Sprintf("question inconnue %q (les identifiants, comme \"org.offline-backup\", sont dans docs/checks.md)", k), "answers", k)
		}
		if _, err := organisation.Normalize(v); err != nil {
			return bad(fmt.Sprintf("réponse %q invalide : oui, non, partiel ou nsp", v), "answers", k)
		}
	}
	return nil
}

// validateDNS checks [dns] and loads the trust anchor and root hints files:
// the configured ones, else Debian's when installed (a broken default file
// is an error too: silently falling back would hide it).
func readBounded(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s illisible : %v", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s illisible : %v", path, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s : fichier trop gros (maximum %d octets)", path, max)
	}
	return data, nil
}

// validateAD checks the [ad] section and reads its secret: the password
// file must be private to its owner, as the agent's key is.
func NormalizeFingerprint(s string) string {
	return strings.ToLower(strings.NewReplacer(":", "", " ", "", "-", "").Replace(strings.TrimSpace(s)))
}

func validDomain(d string) bool {
	d = strings.TrimSuffix(d, ".")
	if len(d) == 0 || len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// Targets is what the scan looks at, for registry.Checks.
func (c *Config) Targets() registry.Config {
	return registry.Config{
		TLSEndpoints: c.TLSEndpoints,
		TLSRoots:     c.tlsRoots,
		Domains:      c.Domains,
		BackupPaths:  c.BackupPaths,
		Sector:       c.Sector,
		Answers:      c.Answers,

		DNSResolver:     c.DNS.Resolver,
		DNSTrustAnchors: c.dnsAnchors,
		DNSRootHints:    c.dnsHints,

		AD: c.ad,
	}
}

// lineOf finds, best effort, the line where key is set in a TOML source:
// either "a.b = " at the top, or "b = " inside the table [a]. It returns 0
// when the key is not written in the file (a default value is at fault).
func lineOf(src []byte, key []string) int {
	if len(key) == 0 {
		return 0
	}
	table := ""
	want := strings.Join(key[:len(key)-1], ".")
	last := key[len(key)-1]
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 64<<10), MaxConfigSize)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			table = strings.Trim(strings.TrimSpace(strings.Trim(line, "[]")), `"`)
			continue
		}
		k, _, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k = strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(k), " ", ""), `"`, "")
		full := k
		if table != "" {
			full = table + "." + k
		}
		if full == strings.Join(key, ".") || (table == want && k == last) {
			return n
		}
	}
	return 0
}

// SectorChoices lists the sectors a person may give (configuration,
// --sector), from protocol.Sectors: "commune, hospital, port ou other".
func SectorChoices() string {
	names := make([]string, len(protocol.Sectors))
	for i, s := range protocol.Sectors {
		names[i] = string(s)
	}
	return strings.Join(names[:len(names)-1], ", ") + " ou " + names[len(names)-1]
}

// DefaultConfig renders a commented configuration file for a fresh install.
func DefaultConfig(hubURL, fingerprint, stateDir string) []byte {
	var b strings.Builder
	b.WriteString(`# Configuration de l'agent Vigie (format TOML).
# Après modification : redémarrez le service (systemctl restart vigie, ou
# Restart-Service vigie sous Windows).

# Nom de l'entité et secteur : ` + SectorChoices() + `.
# entity = "Mairie de Exemple"
sector = "other"

# Noms de domaine de l'entité à contrôler (DNSSEC, SPF, DMARC...).
# domains = ["mairie-exemple.fr"]

# Services TLS à contrôler, hôte:port.
# tls_endpoints = ["webmail.mairie-exemple.fr:443"]
# Autorité de certification propre à l'entité (intranet, messagerie), en PEM,
# reconnue en plus de celles du système.
# tls_ca_file = "/etc/vigie/ca-entite.pem"

# Dossiers de sauvegarde à contrôler.
# backup_paths = ["/srv/sauvegardes"]

`)
	fmt.Fprintf(&b, "state_dir = %q\n\n", stateDir)
	b.WriteString("[schedule]\ninterval = \"24h\"  # une analyse par jour\nsplay = \"1h\"      # plus un délai aléatoire, pour étaler les envois de la région\n\n")
	b.WriteString("[hub]\n")
	fmt.Fprintf(&b, "url = %q\n", hubURL)
	if fingerprint != "" {
		fmt.Fprintf(&b, "fingerprint = %q\n", fingerprint)
	}
	b.WriteString("# proxy = \"http://proxy.mairie-exemple.fr:3128\"\n\n")
	b.WriteString("[spool]\nmax_files = 200\nmax_bytes = 67108864\n\n# [answers]\n# \"org.incident-contact\" = \"oui\"   # les identifiants sont dans docs/checks.md ; vigie questionnaire les remplit\n")
	return []byte(b.String())
}
