//go:build linux

package organisation

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigie-cyber/vigie/checks/checkstest"
)

// openPTY opens a pseudo-terminal pair with ptmx (/dev/ptmx; no cgo, no
// extra module): the master is the "person", the slave is Ask's terminal.
// A machine without pseudo-terminals is a missing peer: the test skips
// locally but fails in CI, where it would otherwise vanish unnoticed.
func openPTY(t testing.TB, ptmx string) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile(ptmx, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		checkstest.Unavailable(t, fmt.Sprintf("no pseudo-terminal: %v", err))
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		checkstest.Unavailable(t, fmt.Sprintf("unlockpt: %v", err))
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		m.Close()
		checkstest.Unavailable(t, fmt.Sprintf("ptsname: %v", err))
	}
	s, err := os.OpenFile("/dev/pts/"+itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		checkstest.Unavailable(t, fmt.Sprintf("open slave: %v", err))
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// TestAskOnPseudoTerminal runs the questionnaire on a real terminal line
// discipline (echo, CR/LF translation, Ctrl-D as end of input): a person
// answers two questions, keeps a previous answer with Enter, and presses
// Ctrl-D; the answers given are kept.
func TestAskOnPseudoTerminal(t *testing.T) {
	t.Parallel()
	master, slave := openPTY(t, "/dev/ptmx")
	qs := Questions()
	type res struct {
		m   map[string]string
		err error
	}
	done := make(chan res, 1)
	go func() {
		m, err := Ask(slave, slave, "fr", map[string]string{qs[2].ID: "partial"})
		done <- res{m, err}
	}()
	rd := bufio.NewReader(master)
	expect := func(s string) {
		t.Helper()
		var seen strings.Builder
		deadline := time.Now().Add(5 * time.Second)
		master.SetReadDeadline(deadline)
		for !strings.Contains(seen.String(), s) {
			b, err := rd.ReadByte()
			if err != nil {
				t.Fatalf("waiting for %q: %v; saw %q", s, err, seen.String())
			}
			seen.WriteByte(b)
		}
	}
	expect("1/15")
	expect("[o/n/p/?/na] > ")
	master.WriteString("oui\r") // a terminal sends CR; the line discipline makes it LF
	expect("2/15")
	master.WriteString("xyz\r")
	expect("n'est pas une réponse")
	master.WriteString("non\r")
	expect("(Entrée = partiel) > ")
	master.WriteString("\r")
	expect("4/15")
	master.Write([]byte{4}) // Ctrl-D
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		want := map[string]string{qs[0].ID: Yes, qs[1].ID: No, qs[2].ID: "partial"}
		for k, v := range want {
			if r.m[k] != v {
				t.Errorf("%s = %q, want %q (all: %v)", k, r.m[k], v, r.m)
			}
		}
		if len(r.m) != 3 {
			t.Errorf("answers %v, want exactly 3", r.m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Ask did not return after Ctrl-D")
	}
}

// outcomeTB records whether a helper skipped or failed, without ending the
// calling test: Fatal and Skip end only the goroutine running the helper.
type outcomeTB struct {
	testing.TB
	failed, skipped bool
}

func (o *outcomeTB) Helper()               {}
func (o *outcomeTB) Cleanup(func())        {}
func (o *outcomeTB) Fatalf(string, ...any) { o.failed = true; runtime.Goexit() }
func (o *outcomeTB) Skipf(string, ...any)  { o.skipped = true; runtime.Goexit() }
func (o *outcomeTB) run(f func(testing.TB)) *outcomeTB {
	done := make(chan struct{})
	go func() { defer close(done); f(o) }()
	<-done
	return o
}

// TestPTYMissingFailsInCI: without a pseudo-terminal the questionnaire test
// skips on a developer's machine but fails when CI=true (it used to skip
// silently everywhere).
func TestPTYMissingFailsInCI(t *testing.T) {
	missing := func(tb testing.TB) { openPTY(tb, "/nonexistent/ptmx") }
	t.Setenv("CI", "true")
	if o := new(outcomeTB).run(missing); !o.failed || o.skipped {
		t.Errorf("CI=true: failed=%v skipped=%v, want a failure", o.failed, o.skipped)
	}
	t.Setenv("CI", "")
	if o := new(outcomeTB).run(missing); o.failed || !o.skipped {
		t.Errorf("outside CI: failed=%v skipped=%v, want a skip", o.failed, o.skipped)
	}
}
