//go:build linux

package hygiene

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/checks/livehost"
	"github.com/vigie-cyber/vigie/protocol"
)

// TestSSHDIntegration runs the real OpenSSH server in test mode (`sshd -T
// -f <config>`) on configurations written by the test and judges its
// effective settings.
func TestSSHDIntegration(t *testing.T) {
	t.Parallel()
	checkstest.Need(t, "sshd")
	keygen := checkstest.Need(t, "ssh-keygen")
	dir := t.TempDir()
	key := filepath.Join(dir, "host_ed25519")
	if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	// sshd refuses to start, even in test mode, without its privilege
	// separation directory; a host where sshd never ran lacks it.
	if _, err := os.Stat("/run/sshd"); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			checkstest.Unavailable(t, "cannot create /run/sshd: "+err.Error())
		}
		t.Cleanup(func() { os.Remove("/run/sshd") })
	}
	tests := []struct {
		name, config string
		want         protocol.Status
		ev           string
	}{
		{"keys only", "PermitRootLogin no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n", protocol.Pass, "permitrootlogin no, passwordauthentication no"},
		{"root with password", "PermitRootLogin yes\n", protocol.Fail, "root login with a password allowed"},
		{"passwords for users", "PermitRootLogin prohibit-password\nPasswordAuthentication yes\n", protocol.Warn, "password login allowed"},
	}
	for _, tt := range tests {
		cfg := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".conf")
		if err := os.WriteFile(cfg, []byte("HostKey "+key+"\n"+tt.config), 0o600); err != nil {
			t.Fatal(err)
		}
		h := livehost.New()
		r := run(sshCheck{args: []string{"-T", "-f", cfg}}, h)
		if r.Status != tt.want || !strings.Contains(r.Evidence.EN, tt.ev) || !strings.Contains(r.Evidence.EN, "(sshd -T)") {
			t.Errorf("%s: %s %q, want %s with %q from sshd -T", tt.name, r.Status, r.Evidence.EN, tt.want, tt.ev)
		}
	}
}

// netnsRunner runs nft inside a network namespace and reports every other
// firewall tool as absent, so the test sees only the namespace's rules.
type netnsRunner struct{ ns string }

func (n netnsRunner) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	if name != "nft" {
		return nil, fmt.Errorf("%s: %w", name, checks.ErrNotFound)
	}
	return livehost.ExecRunner{}.Run(ctx, "ip", append([]string{"netns", "exec", n.ns, "nft"}, args...)...)
}

// TestFirewallNftablesNetns loads real nftables rule sets into a network
// namespace made for the test and checks what hygiene.firewall concludes.
func TestFirewallNftablesNetns(t *testing.T) {
	t.Parallel()
	ip := checkstest.Need(t, "ip")
	nft := checkstest.Need(t, "nft")
	ns := fmt.Sprintf("vigie-test-%d", os.Getpid())
	if out, err := exec.Command(ip, "netns", "add", ns).CombinedOutput(); err != nil {
		checkstest.Unavailable(t, fmt.Sprintf("cannot create a network namespace (root needed): %v %s", err, out))
	}
	t.Cleanup(func() { exec.Command(ip, "netns", "del", ns).Run() })
	load := func(rules string) {
		t.Helper()
		cmd := exec.Command(ip, "netns", "exec", ns, nft, "-f", "-")
		cmd.Stdin = strings.NewReader("flush ruleset\n" + rules)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("nft -f: %v\n%s", err, out)
		}
	}
	h := checkstest.Host()
	h.Exec = netnsRunner{ns: ns}
	steps := []struct {
		name, rules string
		want        protocol.Status
		ev          string
	}{
		{"empty namespace", "", protocol.Fail, "no active firewall"},
		{"nat only", "table ip nat {\n chain postrouting {\n  type nat hook postrouting priority srcnat; policy accept;\n  oifname \"eth0\" masquerade\n }\n}\n",
			protocol.Warn, "none filters incoming traffic"},
		{"input policy drop", "table inet filter {\n chain input {\n  type filter hook input priority filter; policy drop;\n  ct state established,related accept\n  iif \"lo\" accept\n  tcp dport 22 accept\n }\n}\n",
			protocol.Pass, "nftables (inet filter input: policy drop)"},
		{"input reject rule", "table inet vigie {\n chain in {\n  type filter hook input priority 0; policy accept;\n  tcp dport 23 reject\n }\n}\n",
			protocol.Pass, "nftables (inet vigie in: drop/reject rule)"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, s := range steps {
		load(s.rules)
		r := checks.RunAll(ctx, h, []checks.Check{firewallCheck{}}, checks.RunOptions{})[0]
		if r.Status != s.want || !strings.Contains(r.Evidence.EN, s.ev) {
			t.Errorf("%s: %s %q, want %s with %q", s.name, r.Status, r.Evidence.EN, s.want, s.ev)
		}
	}
}
