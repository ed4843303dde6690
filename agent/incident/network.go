package incident

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/winps"
)

// Conn is a socket: a connection or a listening port.
type Conn struct {
	Proto  string `json:"proto"`
	Local  string `json:"local"`
	Remote string `json:"remote,omitempty"`
	State  string `json:"state"`
	PID    int32  `json:"pid,omitempty"`
	UID    int    `json:"uid,omitempty"`
	Inode  uint64 `json:"inode,omitempty"`
}

// Network is what the network collector keeps.
type Network struct {
	Connections []Conn            `json:"connections"`
	Listeners   []checks.Listener `json:"listeners,omitempty"`
	Errors      map[string]string `json:"errors,omitempty"`
}

// TCP states as /proc/net/tcp numbers them (include/net/tcp_states.h).
var tcpStates = map[uint8]string{1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2", 6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING", 12: "NEW_SYN_RECV"}

// maxProcNet bounds one /proc/net file (a busy server has thousands of
// sockets; 8 MB is about 50,000 lines).
const maxProcNet = 8 << 20

// ParseProcNet parses /proc/net/{tcp,tcp6,udp,udp6}. A line that does not
// parse is an error naming it: the file is the kernel's, so a bad line means
// something is wrong, not something to skip silently.
func ParseProcNet(proto string, data []byte) ([]Conn, error) {
	var out []Conn
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 4096), 64<<10)
	first := true
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if first {
			first = false
			if strings.HasPrefix(line, "sl") {
				continue
			}
		}
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 10 {
			return nil, fmt.Errorf("%s ligne %d : %d champs", proto, n, len(f))
		}
		local, err := parseHexAddr(f[1])
		if err != nil {
			return nil, fmt.Errorf("%s ligne %d : %w", proto, n, err)
		}
		remote, err := parseHexAddr(f[2])
		if err != nil {
			return nil, fmt.Errorf("%s ligne %d : %w", proto, n, err)
		}
		st, err := strconv.ParseUint(f[3], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("%s ligne %d : état %q", proto, n, f[3])
		}
		uid, err := strconv.Atoi(f[7])
		if err != nil {
			return nil, fmt.Errorf("%s ligne %d : uid %q", proto, n, f[7])
		}
		inode, err := strconv.ParseUint(f[9], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s ligne %d : inode %q", proto, n, f[9])
		}
		state := tcpStates[uint8(st)]
		if strings.HasPrefix(proto, "udp") {
			state = "UNCONN"
			if st == 1 {
				state = "ESTABLISHED"
			}
		}
		if state == "" {
			state = "0x" + strings.ToUpper(f[3])
		}
		c := Conn{Proto: proto, Local: local.String(), State: state, UID: uid, Inode: inode}
		if remote.Port() != 0 || !remote.Addr().IsUnspecified() {
			c.Remote = remote.String()
		}
		out = append(out, c)
	}
	return out, sc.Err()
}

// parseHexAddr reads "0100007F:0CEA": the address in the kernel's byte
// order, 32-bit word by word, then the port in big-endian hex.
func parseHexAddr(s string) (netip.AddrPort, error) {
	a, p, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("adresse %q", s)
	}
	raw, err := hex.DecodeString(a)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("adresse %q", s)
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil || len(p) != 4 {
		return netip.AddrPort{}, fmt.Errorf("port %q", s)
	}
	b := make([]byte, len(raw))
	for i := 0; i < len(raw); i += 4 {
		binary.BigEndian.PutUint32(b[i:], binary.LittleEndian.Uint32(raw[i:]))
	}
	addr, _ := netip.AddrFromSlice(b)
	return netip.AddrPortFrom(addr.Unmap(), uint16(port)), nil
}

const psConnections = `Get-NetTCPConnection | ForEach-Object { [pscustomobject]@{ proto = 'tcp'; local = [string]$_.LocalAddress + ' ' + [string]$_.LocalPort; remote = [string]$_.RemoteAddress + ' ' + [string]$_.RemotePort; state = $_.State.ToString(); pid = [int]$_.OwningProcess } }
Get-NetUDPEndpoint | ForEach-Object { [pscustomobject]@{ proto = 'udp'; local = [string]$_.LocalAddress + ' ' + [string]$_.LocalPort; remote = ''; state = 'UNCONN'; pid = [int]$_.OwningProcess } }`

// joinHostPort turns PowerShell's "addr port" into addr:port ([v6]:port).
func joinHostPort(s string) string {
	a, p, ok := strings.Cut(strings.TrimSpace(s), " ")
	if !ok {
		return s
	}
	if ip, err := netip.ParseAddr(a); err == nil {
		if n, err := strconv.ParseUint(p, 10, 16); err == nil {
			return netip.AddrPortFrom(ip, uint16(n)).String()
		}
	}
	return s
}

func collectNetwork(ctx context.Context, h *checks.Host, o Options) (any, error) {
	var n Network
	n.Errors = map[string]string{}
	if h.OS == "windows" {
		out, err := winps.Run(ctx, h, psConnections, nil)
		if err == nil {
			n.Connections, _, err = winps.Items[Conn](out)
		}
		if err != nil {
			n.Errors["connections"] = err.Error()
		}
		for i := range n.Connections {
			c := &n.Connections[i]
			c.Local = joinHostPort(c.Local)
			c.Remote = joinHostPort(c.Remote)
			if c.Remote == "0.0.0.0:0" || c.Remote == "[::]:0" {
				c.Remote = ""
			}
		}
	} else {
		for _, proto := range []string{"tcp", "tcp6", "udp", "udp6"} {
			b, err := readCapped(h.FS, "proc/net/"+proto, maxProcNet, false)
			if err == nil {
				var cs []Conn
				cs, err = ParseProcNet(proto, b)
				n.Connections = append(n.Connections, cs...)
			}
			if err != nil {
				n.Errors[proto] = err.Error()
			}
		}
	}
	l, err := h.Facts.Listeners(ctx)
	if err != nil {
		n.Errors["listeners"] = err.Error()
	}
	n.Listeners = l
	if len(n.Connections) == 0 && len(n.Listeners) == 0 && len(n.Errors) > 0 {
		return nil, errors.New(joinErrors(n.Errors))
	}
	if len(n.Errors) == 0 {
		n.Errors = nil
	}
	return n, nil
}

func joinErrors(m map[string]string) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+" : "+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, " ; ")
}
