package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/alert"
	"github.com/vigie-cyber/vigie/hub/hubtest"
)

// TestMain lets a test run this very binary as `vigie-hub` in a process of
// its own (VIGIE_HUB_MAIN=1), which it can kill -9.
func TestMain(m *testing.M) {
	if os.Getenv("VIGIE_HUB_MAIN") == "1" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// hubProcess is `vigie-hub serve` in its own process.
type hubProcess struct {
	cmd  *exec.Cmd
	addr string
}

func startHubProcess(t *testing.T, args ...string) *hubProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), "VIGIE_HUB_MAIN=1")
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`Hub à l'écoute sur https://(\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		return &hubProcess{cmd: cmd, addr: a}
	case <-time.After(30 * time.Second):
		t.Fatal("vigie-hub serve did not start")
	}
	return nil
}

// A hub killed (kill -9) while it sends an alert sends it again when
// restarted, with the same webhook-id: the receiver, deduplicating by id,
// gets it once; the hub delivered it at least once.
func TestKilledHubDeliversAlertOnce(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hub.db")
	mustInit(t, db)
	code, out, stderr := cli(t, "", "token", "create", "--db", db, "--entity", "Mairie de Plouguerneau", "--sector", "commune", "--expires", "1h")
	tok := regexp.MustCompile(`\n    ([0-9A-Z-]{24})\n`).FindStringSubmatch(out)
	if code != 0 || tok == nil {
		t.Fatalf("token create: %d %q %q", code, out, stderr)
	}

	// The receiver: while hang is set it takes the request and never
	// answers (the hub is killed mid-send); then it acknowledges.
	secret := alert.NewSecret()
	var mu sync.Mutex
	hang := true
	ids := map[string]int{} // webhook-id -> requests
	acked := map[string]bool{}
	var kinds []string // deduplicated
	arrived := make(chan struct{}, 10)
	release := make(chan struct{})
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id := r.Header.Get("webhook-id")
		if err := alert.Verify(secret, id, r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature"), body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("signature: %v", err)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		ids[id]++
		first := !acked[id]
		h := hang
		if !h {
			acked[id] = true
		}
		mu.Unlock()
		arrived <- struct{}{}
		if h {
			<-release
			return
		}
		if first {
			var b alert.Body
			json.Unmarshal(body, &b)
			mu.Lock()
			kinds = append(kinds, b.Type)
			mu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()
	defer close(release)

	secretFile := filepath.Join(dir, "webhook.secret")
	os.WriteFile(secretFile, []byte(secret+"\n"), 0o600)
	conf := filepath.Join(dir, "hub.toml")
	os.WriteFile(conf, []byte(fmt.Sprintf("db = %q\n\n[[webhook]]\nurl = %q\nsecret_file = %q\nevents = [\"agent-enrolled\"]\n", db, recv.URL+"/hook", secretFile)), 0o600)

	hub := startHubProcess(t, "--config", conf)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: 10 * time.Second}
	a := hubtest.NewAgent(7, 1)
	if r, err := a.Enroll(context.Background(), client, "https://"+hub.addr, tok[1]); err != nil || r.Status != http.StatusCreated {
		t.Fatalf("enrol: %v %+v", err, r)
	}
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("no webhook sent for the enrolment")
	}
	// Mid-send: kill -9.
	if err := hub.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	hub.cmd.Wait()
	mu.Lock()
	hang = false
	mu.Unlock()

	startHubProcess(t, "--config", conf)
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(kinds)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // nothing more should come
	mu.Lock()
	defer mu.Unlock()
	if len(kinds) != 1 || kinds[0] != "agent-enrolled" {
		dumpOutbox(t, db)
		t.Fatalf("received %v, want agent-enrolled once", kinds)
	}
	if len(ids) != 1 {
		t.Fatalf("%d webhook-ids, want the same one sent again: %v", len(ids), ids)
	}
	for id, n := range ids {
		if n != 2 {
			t.Errorf("webhook %s sent %d times, want twice (killed mid-send, then again)", id, n)
		}
	}
}

// The configuration file: options as keys (the command line wins),
// [smtp] and [[webhook]] checked at start with the file and line, secret
// files refused when others can read them.
func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hub.db")
	mustInit(t, db)
	secret := filepath.Join(dir, "webhook.secret")
	os.WriteFile(secret, []byte(alert.NewSecret()), 0o600)
	loose := filepath.Join(dir, "loose.secret")
	os.WriteFile(loose, []byte(alert.NewSecret()), 0o644)
	write := func(text string) string {
		p := filepath.Join(dir, "hub.toml")
		os.WriteFile(p, []byte(text), 0o600)
		return p
	}
	for _, tc := range []struct {
		name, text, want string
	}{
		{"syntax", "db = \"x\"\nlisten = \n", "hub.toml:2"},
		{"unknown key", "db = \"x\"\n\nlisten_addr = \":1\"\n", "hub.toml:3 : clé inconnue \"listen_addr\""},
		{"bad value", "silent_days = \"beaucoup\"\n", "hub.toml:1 : silent_days"},
		{"clear smtp to a remote server", "[smtp]\naddr = \"smtp.example:25\"\nfrom = \"vigie@x.example\"\ntls = \"none\"\n", "hub.toml:4 : [smtp] tls = \"none\""},
		{"smtp unknown key", "[smtp]\naddr = \"smtp.example:587\"\nfrom = \"vigie@x.example\"\npassword = \"secret\"\n", "hub.toml:4 : clé inconnue \"password\""},
		{"webhook http", "[[webhook]]\nurl = \"https://ok.example/h\"\nsecret_file = \"" + secret + "\"\nevents = [\"critical\"]\n[[webhook]]\nurl = \"http://tickets.example/h\"\nsecret_file = \"" + secret + "\"\nevents = [\"critical\"]\n", "hub.toml:6 : adresse de webhook"},
		{"webhook event", "[[webhook]]\nurl = \"https://ok.example/h\"\nsecret_file = \"" + secret + "\"\nevents = [\"critic\"]\n", "hub.toml:4 : webhook.events : événement inconnu"},
		{"secret readable by others", "[[webhook]]\nurl = \"https://ok.example/h\"\nsecret_file = \"" + loose + "\"\nevents = [\"critical\"]\n", "hub.toml:3 : webhook.secret_file : " + loose + " est lisible par d'autres"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := write(tc.text)
			code, _, stderr := cli(t, "", "serve", "--config", p, "--db", db, "--listen", "127.0.0.1:0")
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q, want 2 and %q", code, stderr, tc.want)
			}
		})
	}
	// Admin commands read it too, and the command line wins.
	p := write(fmt.Sprintf("db = %q\nsilent_days = 3\n", filepath.Join(dir, "absent.db")))
	if code, _, stderr := cli(t, "", "entity", "list", "--config", p); code != exitDB || !strings.Contains(stderr, "absent.db") {
		t.Errorf("entity list with the file's db: %d %q", code, stderr)
	}
	if code, _, stderr := cli(t, "", "entity", "list", "--config", p, "--db", db); code != 0 {
		t.Errorf("entity list with --db over the file: %d %q", code, stderr)
	}
}

func dumpOutbox(t *testing.T, db string) {
	out, _ := exec.Command("sqlite3", db, "select * from alert_outbox; select * from alert_attempts; select * from alert_events;").CombinedOutput()
	t.Logf("outbox:\n%s", out)
}
