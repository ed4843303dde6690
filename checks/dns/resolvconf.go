package dns

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/winps"
)

// HostResolvers is the host's resolver configuration.
type HostResolvers struct {
	Servers []string // addresses, in order of use
	Source  string   // the file or command they came from
	// Stub is true when Servers is the local systemd-resolved stub, which
	// forwards to Upstream.
	Stub     bool
	Upstream []string
}

// ParseResolvConf returns the nameserver addresses of a resolv.conf file.
func ParseResolvConf(data string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" {
			addr := f[1]
			if i := strings.IndexByte(addr, '%'); i >= 0 { // fe80::1%eth0
				addr = addr[:i]
			}
			if _, err := netip.ParseAddr(addr); err == nil {
				out = append(out, addr)
			}
		}
	}
	return out
}

// psDNSClient is one object of Get-DnsClientServerAddress | ConvertTo-Json.
type psDNSClient struct {
	InterfaceAlias  string
	InterfaceIndex  int
	AddressFamily   int // 2 = IPv4, 23 = IPv6
	ServerAddresses []string
}

// ParseWindowsDNSClient reads the JSON of Get-DnsClientServerAddress |
// ConvertTo-Json and returns the distinct server addresses (see
// windowsServers). Empty output is an error: nothing was read.
func ParseWindowsDNSClient(data []byte) ([]string, error) {
	data = []byte(strings.TrimSpace(string(data)))
	if len(data) == 0 {
		return nil, errors.New("Get-DnsClientServerAddress n'a rien renvoyé / returned nothing")
	}
	var list []psDNSClient
	if data[0] == '{' {
		var one psDNSClient
		if err := json.Unmarshal(data, &one); err != nil {
			return nil, fmt.Errorf("Get-DnsClientServerAddress JSON: %w", err)
		}
		list = []psDNSClient{one}
	} else if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("Get-DnsClientServerAddress JSON: %w", err)
	}
	return windowsServers(list), nil
}

// windowsServers returns the distinct server addresses, IPv4 first,
// skipping the IPv6 site-local placeholders Windows lists on interfaces
// without DNS (fec0:0:0:ffff::1-3).
func windowsServers(list []psDNSClient) []string {
	seen := map[string]bool{}
	var v4, v6 []string
	for _, c := range list {
		for _, s := range c.ServerAddresses {
			a, err := netip.ParseAddr(s)
			if err != nil || seen[s] || strings.HasPrefix(s, "fec0:0:0:ffff::") {
				continue
			}
			seen[s] = true
			if a.Is4() {
				v4 = append(v4, s)
			} else {
				v6 = append(v6, s)
			}
		}
	}
	return append(v4, v6...)
}

// psDNSClientBody lists the DNS client's servers per interface, run through
// winps: empty output (Wine's PowerShell stub, a killed PowerShell) is an
// error, never "no resolver configured"; an empty list inside the envelope
// is data (no interface has a DNS server).
const psDNSClientBody = "Get-DnsClientServerAddress | Select-Object InterfaceAlias,InterfaceIndex,AddressFamily,ServerAddresses"

// hostResolvers reads the resolvers the host uses.
func hostResolvers(ctx context.Context, h *checks.Host) (HostResolvers, error) {
	if h.OS == "windows" {
		r := HostResolvers{Source: "Get-DnsClientServerAddress"}
		out, err := winps.Run(ctx, h, psDNSClientBody, nil)
		if err != nil {
			return r, fmt.Errorf("Get-DnsClientServerAddress: %w", err)
		}
		list, _, err := winps.Items[psDNSClient](out)
		if err != nil {
			return r, fmt.Errorf("Get-DnsClientServerAddress: %w", err)
		}
		r.Servers = windowsServers(list)
		return r, nil
	}
	data, err := fs.ReadFile(h.FS, "etc/resolv.conf")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return HostResolvers{Source: "/etc/resolv.conf"}, fmt.Errorf("/etc/resolv.conf: %w", checks.ErrNotFound)
		}
		return HostResolvers{Source: "/etc/resolv.conf"}, fmt.Errorf("read /etc/resolv.conf: %w", err)
	}
	r := HostResolvers{Servers: ParseResolvConf(string(data)), Source: "/etc/resolv.conf"}
	// systemd-resolved: /etc/resolv.conf names the local stub; the real
	// upstream servers are in run/systemd/resolve/resolv.conf.
	if len(r.Servers) == 1 && r.Servers[0] == "127.0.0.53" {
		if up, err := fs.ReadFile(h.FS, "run/systemd/resolve/resolv.conf"); err == nil {
			if s := ParseResolvConf(string(up)); len(s) > 0 {
				r.Stub, r.Upstream = true, s
			}
		}
	}
	return r, nil
}
