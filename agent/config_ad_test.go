package agent

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestConfigADSysvolSMB: sysvol over SMB is accepted with the [ad]
// account, kept as written (parsed again by the checks), and refused with
// the field named when it cannot work.
func TestConfigADSysvolSMB(t *testing.T) {
	t.Parallel()
	pass := filepath.Join(t.TempDir(), "ad.pass")
	if err := os.WriteFile(pass, []byte("Lecture-2026!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	section := func(user, sysvol string) string {
		s := "[ad]\nurl = \"ldaps://dc1.mairie.local\"\nbind = \"simple\"\nuser = " + strconv.Quote(user) + "\npassword_file = " + strconv.Quote(pass) + "\n"
		if sysvol != "" {
			s += "sysvol = " + strconv.Quote(sysvol) + "\n"
		}
		return s
	}
	for _, c := range []struct{ user, sysvol string }{
		{"svc-vigie@mairie.local", "smb://dc1.mairie.local/SYSVOL"},
		{`MAIRIE\svc-vigie`, "smb://dc2.mairie.local:445/SYSVOL/mairie.local/Policies"},
		{"svc-vigie@mairie.local", ""},                        // derived from url at scan time
		{"CN=svc,CN=Users,DC=mairie,DC=local", "/mnt/sysvol"}, // a DN is fine without SMB
	} {
		cfg, err := ParseConfig("vigie.toml", []byte(section(c.user, c.sysvol)))
		if err != nil {
			t.Errorf("%s %s: %v", c.user, c.sysvol, err)
			continue
		}
		if got := cfg.Targets().AD; got == nil || got.Sysvol != c.sysvol || got.User != c.user {
			t.Errorf("targets.AD = %+v", got)
		}
	}
	for _, c := range []struct{ user, sysvol, field, msg string }{
		{"CN=svc,CN=Users,DC=mairie,DC=local", "smb://dc1/SYSVOL", "ad.user", "DN"},
		{"svc@mairie.local", "smb://dc1", "ad.sysvol", "partage"},
		{"svc@mairie.local", "smb://dc1/SYSVOL/../C$", "ad.sysvol", "invalide"},
		{"svc@mairie.local", "smb://dc1/SYSVOL?user=x", "ad.sysvol", "ni compte"},
		{"svc@mairie.local", "sysvol", "ad.sysvol", "absolu"},
	} {
		_, err := ParseConfig("vigie.toml", []byte(section(c.user, c.sysvol)))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != c.field || !strings.Contains(ce.Msg, c.msg) {
			t.Errorf("%s %s: err = %v, want %s mentioning %q", c.user, c.sysvol, err, c.field, c.msg)
		}
	}
}
