package incident

import (
	"bytes"
	"encoding/base64"
	"net/netip"
	"strings"
	"testing"
	"unicode/utf8"
)

func encodeStd(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// FuzzParseProcNet: whatever the input, every connection parsed has a valid
// address and port, and there are never more connections than lines.
func FuzzParseProcNet(f *testing.F) {
	f.Add(fixture(f, "linux/proc_net_tcp"))
	f.Add(fixture(f, "linux/proc_net_tcp6"))
	f.Add([]byte("0: 0100007F:FFFF 00000000:0000 0A 0 0 0 0 1 2"))
	f.Fuzz(func(t *testing.T, data []byte) {
		conns, err := ParseProcNet("tcp", data)
		if err != nil {
			return
		}
		if len(conns) > bytes.Count(data, []byte("\n"))+1 {
			t.Fatalf("%d connections from %d lines", len(conns), bytes.Count(data, []byte("\n"))+1)
		}
		for _, c := range conns {
			if _, err := netip.ParseAddrPort(c.Local); err != nil {
				t.Fatalf("local %q: %v", c.Local, err)
			}
			if c.Remote != "" {
				if _, err := netip.ParseAddrPort(c.Remote); err != nil {
					t.Fatalf("remote %q: %v", c.Remote, err)
				}
			}
			if c.State == "" {
				t.Fatal("empty state")
			}
		}
	})
}

// FuzzParseJournal: every line is either an event or counted bad, and
// every message is valid UTF-8 within the size bound.
func FuzzParseJournal(f *testing.F) {
	f.Add(fixture(f, "linux/journal.json"))
	f.Add([]byte(`{"MESSAGE":[255,254]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, bad := ParseJournal(data)
		lines := 0
		for _, l := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(l)) > 0 {
				lines++
			}
		}
		if len(evs)+bad > lines+1 {
			t.Fatalf("%d events + %d bad from %d lines", len(evs), bad, lines)
		}
		for _, e := range evs {
			if !utf8.ValidString(e.Message) || len(e.Message) > maxMessage+len("…") {
				t.Fatalf("message %q", e.Message)
			}
		}
	})
}

// FuzzParsePasswd: every account has a name without ':' and every line is
// an account, a comment, blank, or counted bad.
func FuzzParsePasswd(f *testing.F) {
	f.Add(fixture(f, "linux/passwd"))
	f.Fuzz(func(t *testing.T, data []byte) {
		accs, bad := ParsePasswd(data)
		if len(accs)+bad > bytes.Count(data, []byte("\n"))+1 {
			t.Fatalf("%d+%d from %d lines", len(accs), bad, bytes.Count(data, []byte("\n"))+1)
		}
		for _, a := range accs {
			if a.Name == "" || strings.Contains(a.Name, ":") {
				t.Fatalf("account %+v", a)
			}
		}
	})
}

// FuzzCommandBinary: the program is a prefix of the command (after
// quotes), never longer than it.
func FuzzCommandBinary(f *testing.F) {
	f.Add(`"C:\Users\Public\svc.exe" /silent`)
	f.Add(`C:\Program Files\Y\y.exe -k run`)
	f.Fuzz(func(t *testing.T, cmd string) {
		b := CommandBinary(cmd)
		if len(b) > len(cmd) || !strings.Contains(cmd, b) {
			t.Fatalf("%q -> %q", cmd, b)
		}
	})
}
