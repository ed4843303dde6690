package dns

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/checks/winps"
	"github.com/vigie-cyber/vigie/protocol"
)

// runHost runs the host checks of cfg and returns them by ID.
func runHost(t *testing.T, cfg Config, h *checks.Host) map[string]protocol.Result {
	t.Helper()
	cfg.Domains = nil
	return runDomain(t, cfg, h)
}

func TestResolversCheck(t *testing.T) {
	t.Parallel()
	read := func(p string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte(mustRead(t, "../../testdata/dns/"+p))}
	}
	win := checkstest.Host()
	win.OS = "windows"
	win.Exec = &checkstest.Runner{Cmds: map[string]checkstest.Cmd{
		winps.Key(psDNSClientBody): {Out: winps.Envelope(mustRead(t, "../../testdata/dns/windows/Get-DnsClientServerAddress.fr-FR.json"), true)},
	}}
	// Windows whose PowerShell prints nothing (Wine's stub), fails, or
	// lists no server on any interface.
	winWith := func(out string) *checks.Host {
		h := checkstest.Host()
		h.OS = "windows"
		h.Exec = &checkstest.Runner{Cmds: map[string]checkstest.Cmd{winps.Key(psDNSClientBody): {Out: out}}}
		return h
	}
	tests := []struct {
		name string
		fs   fstest.MapFS
		h    *checks.Host
		want protocol.Status
		says string
	}{
		{"static", fstest.MapFS{"etc/resolv.conf": read("resolvconf/debian12-static.conf")}, nil, protocol.Pass, "192.168.1.1, 9.9.9.9, 2620:fe::fe"},
		{"systemd stub", fstest.MapFS{"etc/resolv.conf": read("resolvconf/ubuntu2404-stub.conf"),
			"run/systemd/resolve/resolv.conf": read("resolvconf/ubuntu2404-upstream.conf")}, nil, protocol.Pass, "systemd-resolved"},
		{"single", fstest.MapFS{"etc/resolv.conf": {Data: []byte("nameserver 192.168.1.254\n")}}, nil, protocol.Warn, "single DNS resolver (192.168.1.254"},
		{"none", fstest.MapFS{"etc/resolv.conf": {Data: []byte("# empty\n")}}, nil, protocol.Fail, "no DNS resolver"},
		{"missing", fstest.MapFS{}, nil, protocol.NotApplicable, "not found"},
		{"windows", nil, win, protocol.Pass, "10.1.0.10, 10.1.0.11, fd00::10"},
		{"windows no output", nil, winWith(""), protocol.Error, "printed nothing"},
		{"windows error", nil, winWith(winps.Failure("Accès refusé", "PermissionDenied", 0x80070005, false)), protocol.Error, "administrator rights needed"},
		{"windows no server", nil, winWith(winps.Envelope(`[{"InterfaceAlias":"Ethernet","InterfaceIndex":6,"AddressFamily":2,"ServerAddresses":[]}]`, true)), protocol.Fail, "no DNS resolver configured"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := tc.h
			if h == nil {
				h = checkstest.Host()
				h.FS = tc.fs
			}
			r := checkResolvers(context.Background(), &family{}, h)
			if r.Status != tc.want || !strings.Contains(r.Evidence.EN, tc.says) {
				t.Errorf("got %s %q, want %s saying %q", r.Status, r.Evidence.EN, tc.want, tc.says)
			}
		})
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestResolverValidates(t *testing.T) {
	t.Parallel()
	u := sharedUniverse(t)
	at := func(ip string) string { return net.JoinHostPort(ip, u.port) }
	tests := []struct {
		name     string
		resolver string
		want     protocol.Status
		says     string
	}{
		{"validating", at(ipValid), protocol.Pass, "AD bit"},
		{"not validating", at(ipResolver), protocol.Fail, "does not validate"},
		{"broken", at(ipServfail), protocol.Error, "answered SERVFAIL"},
		{"silent", at(ipSilent), protocol.Error, "no answer before the deadline"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(u)
			cfg.Resolver, cfg.SignedProbe, cfg.BogusProbe, cfg.QueryTimeout = tc.resolver, "valid.test.", "expired.test.", 300*time.Millisecond
			r := runHost(t, cfg, testHost())["dns.resolver-validates"]
			if r.Status != tc.want || !strings.Contains(r.Evidence.EN, tc.says) {
				t.Errorf("got %s %q, want %s saying %q", r.Status, r.Evidence.EN, tc.want, tc.says)
			}
		})
	}
}

func TestLocalServerChecks(t *testing.T) {
	t.Parallel()
	u := sharedUniverse(t)
	port, _ := strconv.Atoi(u.port)
	listen := func(ip string) checks.Facts {
		return checkstest.Facts{Listen: []checks.Listener{{Proto: "udp", Address: ip, Port: port}, {Proto: "tcp", Address: ip, Port: port}}}
	}
	tests := []struct {
		name     string
		facts    checks.Facts
		outside  bool
		addrs    []netip.Addr
		open     protocol.Status
		transfer protocol.Status
		says     string
	}{
		{"no server", checkstest.Facts{Listen: []checks.Listener{{Proto: "tcp", Address: "0.0.0.0", Port: 22}}}, true, nil, protocol.NotApplicable, protocol.NotApplicable, "no DNS server"},
		{"loopback only", listen("127.2.0.1"), false, nil, protocol.NotApplicable, protocol.NotApplicable, "no non-loopback address"},
		{"open resolver", listen(ipResolver), true, nil, protocol.Fail, protocol.NotApplicable, "open resolver"},
		{"authoritative only", listen(ipNS1), true, nil, protocol.Pass, protocol.Pass, "refused"},
		{"wildcard, transfer open", checkstest.Facts{Listen: []checks.Listener{{Proto: "udp", Address: "0.0.0.0", Port: port}}}, true,
			[]netip.Addr{netip.MustParseAddr(ipAXFR), netip.MustParseAddr("127.0.0.1")}, protocol.Pass, protocol.Fail, "valid.test. @127.6.0.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(u, "valid.test", "unsigned.test")
			cfg.ServerPort, cfg.loopbackIsOutside = port, tc.outside
			cfg.LocalAddrs = func() ([]netip.Addr, error) {
				// 127.0.0.1 listens nowhere on this port: only the listed
				// address with a server counts.
				var out []netip.Addr
				for _, a := range tc.addrs {
					if a.String() != "127.0.0.1" {
						out = append(out, a)
					}
				}
				return out, nil
			}
			h := testHost()
			h.Facts = tc.facts
			list := Checks(cfg)
			var got = map[string]protocol.Result{}
			for _, r := range checks.RunAll(context.Background(), h, list, checks.RunOptions{Timeout: 10 * time.Second}) {
				if r.Target == "" {
					got[r.ID] = r
				}
			}
			o, x := got["dns.open-resolver"], got["dns.zone-transfer"]
			if o.Status != tc.open {
				t.Errorf("open-resolver = %s (%s), want %s", o.Status, o.Evidence.EN, tc.open)
			}
			if x.Status != tc.transfer {
				t.Errorf("zone-transfer = %s (%s), want %s", x.Status, x.Evidence.EN, tc.transfer)
			}
			if !strings.Contains(o.Evidence.EN+" | "+x.Evidence.EN, tc.says) {
				t.Errorf("evidence %q | %q does not say %q", o.Evidence.EN, x.Evidence.EN, tc.says)
			}
		})
	}
}

// TestFaults: SERVFAIL, silence, garbage and truncation give clear results.
func TestFaults(t *testing.T) {
	t.Parallel()
	u := sharedUniverse(t)
	at := func(ip string) string { return net.JoinHostPort(ip, u.port) }
	tests := []struct {
		name     string
		resolver string
		hints    []string
		id       string
		want     protocol.Status
		says     string
	}{
		{"truncated UDP, TCP retry", at(ipTrunc), nil, "dns.mx", protocol.Pass, "10 mail.valid.test."},
		{"SERVFAIL", at(ipServfail), nil, "dns.spf", protocol.Error, "answered SERVFAIL"},
		{"timeout", at(ipSilent), nil, "dns.dmarc", protocol.Error, "no answer before the deadline"},
		{"garbage", at(ipGarbage), nil, "dns.mx", protocol.Error, "malformed DNS answer"},
		{"root unreachable, cuts through the resolver", u.resolver, []string{at(ipSilent)}, "dns.ns-count", protocol.Pass, "2 name servers"},
		{"root unreachable, chain through the resolver", u.resolver, []string{at(ipSilent)}, "dns.dnssec-chain", protocol.Pass, ". → test. → valid.test."},
		{"root unreachable, lame check direct", u.resolver, []string{at(ipSilent)}, "dns.lame-delegation", protocol.Pass, "authoritatively"},
		{"root and resolver unreachable", at(ipSilent), []string{at(ipSilent)}, "dns.ns-count", protocol.Error, "no answer before the deadline"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(u, "valid.test")
			cfg.Resolver, cfg.QueryTimeout = tc.resolver, 300*time.Millisecond
			if tc.hints != nil {
				cfg.RootHints = tc.hints
			}
			start := time.Now()
			r := runDomain(t, cfg, testHost())[tc.id]
			if r.Status != tc.want || !strings.Contains(r.Evidence.EN, tc.says) {
				t.Errorf("%s = %s %q, want %s saying %q", tc.id, r.Status, r.Evidence.EN, tc.want, tc.says)
			}
			if d := time.Since(start); d > 8*time.Second {
				t.Errorf("took %s", d)
			}
		})
	}
}
