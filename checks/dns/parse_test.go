package dns

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSPF(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		all     string // qualifier+"all", "" when none
		lookups []string
		err     string
	}{
		{"v=spf1 -all", "-all", nil, ""},
		{"v=spf1 mx a:mail.example.fr/24 ip4:192.0.2.0/24 ip6:2001:db8::/32 include:_spf.google.com ~all", "~all",
			[]string{"mx:", "a:mail.example.fr", "include:_spf.google.com"}, ""},
		{"V=SPF1 +all", "+all", nil, ""},
		{"v=spf1 ?all", "?all", nil, ""},
		{"v=spf1 redirect=_spf.example.fr", "", []string{"redirect=_spf.example.fr"}, ""},
		{"v=spf1 a/24//64 mx//48 exists:%{i}._spf.%{d} -all", "-all", []string{"a:", "mx:", "exists:%{i}._spf.%{d}"}, ""},
		{"v=spf1 include:a.fr -all redirect=b.fr", "-all", []string{"include:a.fr"}, ""},
		{"v=spf1 foo=bar -all", "-all", nil, ""},
		{"v=spf1", "", nil, ""},
		{"v=spf10 -all", "", nil, "not an SPF record"},
		{"spf1 -all", "", nil, "not an SPF record"},
		{"v=spf1 ip4:300.1.2.3 -all", "", nil, "not an ip4 address"},
		{"v=spf1 ip4:192.0.2.0/33", "", nil, "bad prefix length"},
		{"v=spf1 ip6:192.0.2.1", "", nil, "not an ip6 address"},
		{"v=spf1 include -all", "", nil, "needs a domain"},
		{"v=spf1 all:foo", "", nil, "takes no argument"},
		{"v=spf1 mxx -all", "", nil, "unknown mechanism"},
		{"v=spf1 redirect=a.fr redirect=b.fr", "", nil, "twice"},
		{"v=spf1 exists:%{z}.example.fr", "", nil, "unknown macro letter"},
		{"v=spf1 include:%{d", "", nil, "unclosed macro"},
	}
	for _, tc := range tests {
		got, err := ParseSPF(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseSPF(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseSPF(%q): %v", tc.in, err)
			continue
		}
		all := ""
		if a, ok := got.All(); ok {
			all = string(a.Qualifier) + "all"
		}
		if all != tc.all {
			t.Errorf("ParseSPF(%q) all = %q, want %q", tc.in, all, tc.all)
		}
		if diff := cmp.Diff(tc.lookups, got.LookupTerms()); diff != "" {
			t.Errorf("ParseSPF(%q) lookups (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestParseDMARC(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want DMARC
		err  string
	}{
		{"v=DMARC1; p=reject; rua=mailto:dmarc@mairie.fr", DMARC{Policy: "reject", Pct: 100, RUA: []string{"mailto:dmarc@mairie.fr"}, ADKIM: "r", ASPF: "r"}, ""},
		{"v=DMARC1;p=quarantine;sp=none;pct=50;adkim=s;aspf=s;rua=mailto:a@x.fr!10m,mailto:b@y.fr;ruf=mailto:f@x.fr;fo=1",
			DMARC{Policy: "quarantine", SubPolicy: "none", Pct: 50, RUA: []string{"mailto:a@x.fr", "mailto:b@y.fr"}, RUF: []string{"mailto:f@x.fr"}, ADKIM: "s", ASPF: "s"}, ""},
		{"v=DMARC1; p=none", DMARC{Policy: "none", Pct: 100, ADKIM: "r", ASPF: "r"}, ""},
		{"v=DMARC1; p=NONE;", DMARC{Policy: "none", Pct: 100, ADKIM: "r", ASPF: "r"}, ""},
		{"v=DMARC1", DMARC{}, "no p= policy"},
		{"v=DMARC1; p=block", DMARC{}, "not none, quarantine or reject"},
		{"v=DMARC1; p=none; pct=150", DMARC{}, "not 0-100"},
		{"v=DMARC1; p=none; rua=dmarc@mairie.fr", DMARC{}, "not a URI"},
		{"v=DMARC1; p=none; rua=mailto:nobody", DMARC{}, "no e-mail address"},
		{"v=DMARC1; p=none; p=reject", DMARC{}, "twice"},
		{"v=DMARC1; p", DMARC{}, "has no value"},
		{"p=reject; v=DMARC1", DMARC{}, "not a DMARC record"},
		{"v=spf1 -all", DMARC{}, "not a DMARC record"},
	}
	for _, tc := range tests {
		got, err := ParseDMARC(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseDMARC(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseDMARC(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseDMARC(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
	if !(PolicyRank("none") < PolicyRank("quarantine") && PolicyRank("quarantine") < PolicyRank("reject")) {
		t.Error("policy order none < quarantine < reject broken")
	}
}

func FuzzParseSPF(f *testing.F) {
	for _, s := range []string{"v=spf1 -all", "v=spf1 include:_spf.google.com ip4:1.2.3.4/32 ~all", "v=spf1 a/24//64 exists:%{i}.%{d2r}. -all",
		"v=spf1 redirect=x.fr", "v=spf1 %", "v=spf1 +", "v=spf1 ip6:::1/129"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseSPF(s)
		if err != nil {
			return
		}
		// A record that parses has a valid version and well-formed terms.
		if !IsSPF(s) {
			t.Fatalf("ParseSPF accepted %q without v=spf1", s)
		}
		for _, term := range r.Terms {
			if !strings.ContainsRune("+-~?", rune(term.Qualifier)) {
				t.Fatalf("bad qualifier %q in %q", term.Qualifier, s)
			}
		}
		if len(r.LookupTerms()) > len(strings.Fields(s)) {
			t.Fatalf("more lookups than terms in %q", s)
		}
	})
}

func FuzzParseDMARC(f *testing.F) {
	for _, s := range []string{"v=DMARC1; p=reject; rua=mailto:a@b.fr", "v=DMARC1;p=none;pct=0", "v=DMARC1; p=quarantine; rua=mailto:a@b!10m", "v=DMARC1;;;", "v=DMARC1; p="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDMARC(s)
		if err != nil {
			return
		}
		if d.Policy != "none" && d.Policy != "quarantine" && d.Policy != "reject" {
			t.Fatalf("accepted policy %q in %q", d.Policy, s)
		}
		if d.Pct < 0 || d.Pct > 100 {
			t.Fatalf("accepted pct %d in %q", d.Pct, s)
		}
	})
}

func TestParseResolvers(t *testing.T) {
	t.Parallel()
	read := func(p string) []byte {
		b, err := os.ReadFile("../../testdata/dns/" + p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if diff := cmp.Diff([]string{"192.168.1.1", "9.9.9.9", "2620:fe::fe"}, ParseResolvConf(string(read("resolvconf/debian12-static.conf")))); diff != "" {
		t.Errorf("static resolv.conf (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"127.0.0.53"}, ParseResolvConf(string(read("resolvconf/ubuntu2404-stub.conf")))); diff != "" {
		t.Errorf("stub resolv.conf (-want +got):\n%s", diff)
	}
	got, err := ParseWindowsDNSClient(read("windows/Get-DnsClientServerAddress.fr-FR.json"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"10.1.0.10", "10.1.0.11", "fd00::10"}, got); diff != "" {
		t.Errorf("Windows resolvers (-want +got):\n%s", diff)
	}
	one, err := ParseWindowsDNSClient([]byte(`{"InterfaceAlias":"Ethernet","InterfaceIndex":4,"AddressFamily":2,"ServerAddresses":["192.168.1.254"]}`))
	if err != nil || len(one) != 1 {
		t.Errorf("single object: %v %v", one, err)
	}
	if _, err := ParseWindowsDNSClient([]byte("Get-DnsClientServerAddress : accès refusé")); err == nil {
		t.Error("garbage accepted")
	}
	if _, err := ParseWindowsDNSClient([]byte(" \n")); err == nil {
		t.Error("empty output read as no resolver")
	}
}
