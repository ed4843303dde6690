package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/agent"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/checks/registry"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// TestWindowsScanUnderWine builds vigie.exe and runs it under Wine, in a
// prefix prepared by the repository's tools/wine/setup.sh. Wine cannot show
// a real patch level or firewall, and its registry is nearly empty, so the
// assertions are the ones a smoke test can make honestly:
//   - `vigie.exe scan` completes in time, exits 0, and has a result for every
//     registered check — never a crash, a hang or a missing check;
//   - no check passes, warns or fails on data Wine does not have: every
//     Windows check gives an error or not applicable, except the few that
//     read something Wine really provides (wineVerdicts);
//   - `vigie.exe install`, enrolled against a real `vigie-hub serve` on
//     loopback, registers and starts the service; the service (run
//     --service, since Wine's services.exe is not recognised as the service
//     manager) scans and delivers one signed scorecard that the hub stores,
//     with the same rule on its results; status sees it running and
//     uninstall removes it.
func TestWindowsScanUnderWine(t *testing.T) {
	// Parallel: it only drives vigie.exe under its own Wine prefix; beside
	// the Samba end-to-end test it saves a minute and a half of CI.
	t.Parallel()
	if testing.Short() {
		t.Skip("short mode")
	}
	if runtime.GOOS != "linux" {
		t.Skip("drives Wine from Linux")
	}
	checkstest.Need(t, "wine")
	// Part of the repository: a missing file is a broken checkout, not a missing peer.
	setup, err := filepath.Abs("../../tools/wine/setup.sh")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(setup); err != nil {
		t.Fatalf("the repository's Wine set-up: %v", err)
	}
	begin := time.Now()
	dir := t.TempDir()
	exe := filepath.Join(dir, "vigie.exe")
	hubExe := filepath.Join(dir, "vigie-hub")
	build := exec.Command("go", "build", "-o", exe, ".")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=windows go build: %v\n%s", err, out)
	}
	if out, err := exec.Command("go", "build", "-o", hubExe, "../vigie-hub").CombinedOutput(); err != nil {
		t.Fatalf("go build vigie-hub: %v\n%s", err, out)
	}
	env := append(os.Environ(), "WINEPREFIX="+filepath.Join(dir, "prefix"), "WINEDEBUG=-all")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	s := exec.CommandContext(ctx, "sh", setup)
	s.Env = env
	if out, err := s.CombinedOutput(); err != nil {
		t.Fatalf("wine setup: %v\n%s", err, out)
	}
	defer func() {
		k := exec.Command("wineserver", "-k")
		k.Env = env
		k.Run()
	}()
	// A persistent server: without it Wine ends the session a few seconds
	// after the last program started from here exits, taking the service
	// (started by services.exe, a system process) with it; on a loaded
	// runner its first scan would not finish in time.
	// No output captured: the daemon would keep the pipe open.
	p := exec.CommandContext(ctx, "wineserver", "-p")
	p.Env = env
	if err := p.Run(); err != nil {
		t.Fatalf("wineserver -p: %v", err)
	}
	t.Logf("builds and Wine prefix: %s", time.Since(begin).Round(time.Millisecond))
	wine := func(args ...string) ([]byte, error) {
		out, err := runWine(ctx, env, append([]string{exe}, args...)...)
		return []byte(out), err
	}

	start := time.Now()
	out, err := wine("scan", "--quiet", "--timeout", "15s",
		"--json", winPath(filepath.Join(dir, "out.json")), "--state-dir", winPath(filepath.Join(dir, "state")))
	if ctx.Err() != nil {
		t.Fatalf("vigie.exe scan hung under Wine (%s)\n%s", time.Since(start), out)
	}
	if err != nil {
		t.Fatalf("vigie.exe scan failed under Wine: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "out.json"))
	if err != nil {
		t.Fatalf("no scorecard written: %v\n%s", err, out)
	}
	sc, err := protocol.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Host.OS != "windows" {
		t.Errorf("scorecard host OS %q, want windows", sc.Host.OS)
	}
	var want, got []string
	for _, c := range registry.Checks(registry.Config{Sector: "other"}) {
		want = append(want, c.Meta().ID+"@"+c.Meta().Target)
	}
	for _, r := range sc.Results {
		got = append(got, r.ID+"@"+r.Target)
	}
	// Per-target checks (the host's own TLS listeners) depend on the host; compare the host-wide ones.
	slices.Sort(want)
	slices.Sort(got)
	for _, id := range want {
		if !strings.HasSuffix(id, "@") {
			continue
		}
		if _, found := slices.BinarySearch(got, id); !found {
			t.Errorf("check %s has no result under Wine", strings.TrimSuffix(id, "@"))
		}
	}
	statuses := noVerdictWithoutData(t, "scan", sc)
	b, _ := json.Marshal(statuses)
	t.Logf("vigie.exe scan under Wine: %d results %s in %s", len(sc.Results), b, time.Since(start).Round(time.Millisecond))

	// The service, enrolled against a real hub.
	start = time.Now()
	h := startHub(t, ctx, hubExe, filepath.Join(dir, "hub"))
	agentDir := filepath.Join(dir, "agent")
	os.MkdirAll(agentDir, 0o755)
	cfg := filepath.Join(agentDir, "vigie.toml")
	// splay 0: the first scan starts within a second of the service; each
	// check bounded as the scan above (a loaded CI runner slows Wine's
	// process start-up, and the service's PowerShell runs each start a
	// console host).
	if err := os.WriteFile(cfg, []byte("state_dir = '"+winPath(filepath.Join(agentDir, "state"))+"'\n[schedule]\nsplay = \"0s\"\n[scan]\ntimeout = \"15s\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = wine("install", "--config", winPath(cfg), "--hub", h.url, "--token", h.token, "--fingerprint", h.spki)
	if err != nil || !strings.Contains(string(out), "Agent inscrit") || !strings.Contains(string(out), "Service démarré") {
		t.Fatalf("vigie.exe install under Wine: %v\n%s", err, out)
	}
	defer wine("uninstall", "--config", winPath(cfg))
	st, err := agent.LoadState(filepath.Join(agentDir, "state"))
	if err != nil || st.AgentID == "" {
		t.Fatalf("enrolment state: %v %+v", err, st)
	}
	stored := h.waitScorecard(t, ctx, st.AgentID, func() string {
		state, _ := os.ReadFile(filepath.Join(agentDir, "state", "state.json"))
		status, _ := wine("status", "--config", winPath(cfg), "--offline")
		ps, _ := exec.Command("ps", "-eo", "pid,etime,args").CombinedOutput()
		var procs []string
		for _, l := range strings.Split(string(ps), "\n") {
			if strings.Contains(strings.ToLower(l), ".exe") {
				procs = append(procs, l[:min(len(l), 200)])
			}
		}
		return fmt.Sprintf("agent state: %s\nvigie status: %s\nprocesses:\n%s\nhub: %s", state, status, strings.Join(procs, "\n"), h.log.String())
	})
	pub, err := protocol.ParsePublicKey(mustReadFile(t, filepath.Join(agentDir, "state", agent.KeyFile)))
	if err != nil {
		t.Fatal(err)
	}
	envl, err := protocol.ParseEnvelope(stored.Envelope)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := protocol.Verify(envl, protocol.PayloadType, pub)
	if err != nil {
		t.Fatalf("stored scorecard does not verify with the agent's key: %v", err)
	}
	sent, err := protocol.Decode(payload)
	if err != nil {
		t.Fatal(err)
	}
	if sent.Host.OS != "windows" || sent.AgentID != st.AgentID {
		t.Errorf("stored scorecard: OS %q agent %q, want windows %s", sent.Host.OS, sent.AgentID, st.AgentID)
	}
	statuses = noVerdictWithoutData(t, "service", sent)
	b, _ = json.Marshal(statuses)
	t.Logf("service under Wine: scorecard %s (%d results %s) stored by the hub %s after install", sent.ID, len(sent.Results), b, time.Since(start).Round(time.Millisecond))
	if out, err := wine("status", "--config", winPath(cfg), "--offline"); err != nil || !strings.Contains(string(out), "Service : en marche") {
		t.Errorf("vigie.exe status: %v\n%s", err, out)
	}
	if out, err := wine("uninstall", "--config", winPath(cfg)); err != nil || !strings.Contains(string(out), "Service supprimé") {
		t.Errorf("vigie.exe uninstall: %v\n%s", err, out)
	}
	if out, _ := wine("status", "--config", winPath(cfg), "--offline"); !strings.Contains(string(out), "Service : non installé") {
		t.Errorf("after uninstall:\n%s", out)
	}

	// The MSI, as Group Policy or Intune deploy it (installer/packaging/msi.sh).
	start = time.Now()
	wineMSI(t, ctx, env, dir, exe, hubExe, h)
	t.Logf("MSI under Wine (install, upgrade, uninstall, purge): %s", time.Since(start).Round(time.Millisecond))
	t.Logf("whole Wine test: %s", time.Since(begin).Round(time.Millisecond))
}

// wineMSI builds two versions of the MSI and checks under Wine: a silent
// install with HUB, TOKEN and FINGERPRINT enrols and starts the service and
// adds an entry to Programs and Features; an upgrade in place keeps the key
// and the enrolment; uninstall keeps the configuration, key and state;
// PURGE=1 removes them.
func wineMSI(t *testing.T, ctx context.Context, env []string, dir, exe, hubExe string, h *testHub) {
	t.Helper()
	checkstest.Need(t, "wixl")
	checkstest.Need(t, "msibuild")
	msiSh, _ := filepath.Abs("../../installer/packaging/msi.sh")
	readme, _ := filepath.Abs("../../installer/packaging/README-windows.txt")
	msi := map[string]string{}
	for _, v := range []string{"1.2.3", "1.2.4"} {
		msi[v] = filepath.Join(dir, "vigie_"+v+".msi")
		if out, err := exec.CommandContext(ctx, "bash", msiSh, v, exe, readme, msi[v]).CombinedOutput(); err != nil {
			t.Fatalf("msi.sh %s: %v\n%s", v, err, out)
		}
	}
	wine := func(args ...string) (string, error) { return runWine(ctx, env, args...) }
	drive := filepath.Join(dir, "prefix", "drive_c")
	data := filepath.Join(drive, "ProgramData", "Vigie")
	installed := `C:\Program Files\Vigie\vigie.exe`
	status := func(bin string) string {
		out, _ := wine(bin, "status", "--offline")
		return out
	}
	arp := func() string {
		out, _ := wine("reg", "query", `HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall`, "/s")
		return out
	}

	token := h.newToken(t, ctx, hubExe)
	if out, err := wine("msiexec", "/i", winPath(msi["1.2.3"]), "/qn", "HUB="+h.url, "TOKEN="+token, "FINGERPRINT="+h.spki); err != nil {
		t.Fatalf("msiexec /i: %v\n%s", err, out)
	}
	if st := status(installed); !strings.Contains(st, "Service : en marche") || !strings.Contains(st, "Inscrit : oui") {
		t.Fatalf("after the MSI install:\n%s", st)
	}
	if a := arp(); !regexp.MustCompile(`DisplayName\s+REG_SZ\s+Vigie\r?\n(?s:.*)`).MatchString(a) || !strings.Contains(a, "1.2.3") {
		t.Errorf("no Vigie 1.2.3 in Programs and Features:\n%s", a)
	}
	key := mustReadFile(t, filepath.Join(data, agent.KeyFile))

	if out, err := wine("msiexec", "/i", winPath(msi["1.2.4"]), "/qn"); err != nil {
		t.Fatalf("upgrade: %v\n%s", err, out)
	}
	if st := status(installed); !strings.Contains(st, "Service : en marche") || !strings.Contains(st, "Inscrit : oui") {
		t.Errorf("after the upgrade:\n%s", st)
	}
	if !bytes.Equal(key, mustReadFile(t, filepath.Join(data, agent.KeyFile))) {
		t.Error("the upgrade changed the agent's key")
	}
	if a := arp(); !strings.Contains(a, "1.2.4") || strings.Contains(a, "1.2.3") {
		t.Errorf("Programs and Features after the upgrade (one entry, 1.2.4):\n%s", a)
	}

	if out, err := wine("msiexec", "/x", winPath(msi["1.2.4"]), "/qn"); err != nil {
		t.Fatalf("msiexec /x: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(drive, "Program Files", "Vigie", "vigie.exe")); !os.IsNotExist(err) {
		t.Errorf("vigie.exe still installed: %v", err)
	}
	if !bytes.Equal(key, mustReadFile(t, filepath.Join(data, agent.KeyFile))) {
		t.Error("uninstall without PURGE lost the key")
	}
	if st := status(exe); !strings.Contains(st, "Service : non installé") || !strings.Contains(st, "Inscrit : oui") {
		t.Errorf("after uninstall (service gone, state kept):\n%s", st)
	}

	if out, err := wine("msiexec", "/i", winPath(msi["1.2.4"]), "/qn"); err != nil {
		t.Fatalf("reinstall: %v\n%s", err, out)
	}
	if out, err := wine("msiexec", "/x", winPath(msi["1.2.4"]), "/qn", "PURGE=1"); err != nil {
		t.Fatalf("msiexec /x PURGE=1: %v\n%s", err, out)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("PURGE=1 left %s: %v", data, err)
	}
	if st := status(exe); !strings.Contains(st, "Service : non installé") {
		t.Errorf("after the purge:\n%s", st)
	}
}

// newToken creates another enrolment token (each serves once).
func (h *testHub) newToken(t *testing.T, ctx context.Context, exe string) string {
	t.Helper()
	out, err := exec.CommandContext(ctx, exe, "token", "create", "--db", h.db, "--entity", "Mairie de Wine", "--sector", "commune", "--expires", "1h").CombinedOutput()
	m := regexp.MustCompile(`\n    ([0-9A-Z-]{24})\n`).FindSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("vigie-hub token create: %v\n%s", err, out)
	}
	return string(m[1])
}

// runWine runs a Windows program under Wine and returns what it printed.
// The output goes through a file, not a pipe: with a persistent server, the
// session's system processes (services.exe, explorer.exe) started by this
// command inherit its output and outlive it, so reading a pipe to its end
// would never finish.
func runWine(ctx context.Context, env []string, args ...string) (string, error) {
	f, err := os.CreateTemp("", "vigie-wine-*.out")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	c := exec.CommandContext(ctx, "wine", args...)
	c.Env = env
	c.Stdout, c.Stderr = f, f
	err = c.Run()
	out, _ := os.ReadFile(f.Name())
	return string(out), err
}

// winPath is a Linux path as Wine's Z: drive shows it.
func winPath(p string) string { return `Z:` + strings.ReplaceAll(p, "/", `\`) }

func mustReadFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wineVerdicts are the checks that may pass, warn or fail under Wine,
// because they read something Wine really provides; the evidence must
// name it. Every other check must give an error or not applicable there.
var wineVerdicts = map[string]string{
	// The version winecfg -v win10 writes in the registry (build 18362).
	"patch.os-support": "Windows 10",
	// Wine's registry holds EnableLUA=0 (Wine has no UAC).
	"hygiene.uac": "EnableLUA=0",
	// Real sockets of the Linux host, listed through Wine's IP helper.
	"hygiene.exposed-ports": "port",
}

// noVerdictWithoutData asserts the rule above on a scorecard and returns
// its statuses. TLS checks judge the host's real listeners (any process on
// loopback), which Wine shows as they are.
func noVerdictWithoutData(t *testing.T, what string, sc *protocol.Scorecard) map[protocol.Status]int {
	t.Helper()
	statuses := map[protocol.Status]int{}
	for _, r := range sc.Results {
		statuses[r.Status]++
		switch r.Status {
		case protocol.Error, protocol.NotApplicable:
			if r.Evidence.FR == "" || r.Evidence.EN == "" {
				t.Errorf("%s: %s: %s without a reason", what, r.ID, r.Status)
			}
			continue
		}
		if strings.HasPrefix(r.ID, "tls.") {
			continue
		}
		if must, ok := wineVerdicts[r.ID]; ok && strings.Contains(r.Evidence.EN, must) {
			continue
		}
		t.Errorf("%s: %s is %s under Wine, where it has no data to judge: %q", what, r.ID, r.Status, r.Evidence.EN)
	}
	return statuses
}

// testHub is a real `vigie-hub serve` on loopback.
type testHub struct {
	db, url, spki, token string
	log                  *syncBuf
}

// startHub creates an enrolment token and starts `vigie-hub serve` with a
// fresh SQLite database and self-signed certificate, as an administrator
// would; it reads the address and the SPKI fingerprint the hub prints.
func startHub(t *testing.T, ctx context.Context, exe, dir string) *testHub {
	t.Helper()
	os.MkdirAll(dir, 0o700)
	h := &testHub{db: filepath.Join(dir, "hub.db")}
	if out, err := exec.CommandContext(ctx, exe, "init", "--db", h.db).CombinedOutput(); err != nil {
		t.Fatalf("vigie-hub init: %v\n%s", err, out)
	}
	out, err := exec.CommandContext(ctx, exe, "token", "create", "--db", h.db, "--entity", "Mairie de Wine", "--sector", "commune", "--expires", "1h").CombinedOutput()
	m := regexp.MustCompile(`\n    ([0-9A-Z-]{24})\n`).FindSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("vigie-hub token create: %v\n%s", err, out)
	}
	h.token = string(m[1])
	serve := exec.Command(exe, "serve", "--db", h.db, "--listen", "127.0.0.1:0")
	buf := &syncBuf{}
	h.log = buf
	serve.Stdout, serve.Stderr = buf, buf
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		serve.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- serve.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			serve.Process.Kill()
		}
	})
	for i := 0; i < 400; i++ {
		o := buf.String()
		a := regexp.MustCompile(`https://(127\.0\.0\.1:\d+)\n`).FindStringSubmatch(o)
		f := regexp.MustCompile(`--fingerprint ([0-9a-f]{64})`).FindStringSubmatch(o)
		if a != nil && f != nil {
			h.url, h.spki = "https://"+a[1], f[1]
			return h
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("vigie-hub serve did not start:\n%s", buf.String())
	return nil
}

// waitScorecard waits for the agent's first scorecard in the hub's
// database (the service scans within a second of starting, then uploads).
func (h *testHub) waitScorecard(t *testing.T, ctx context.Context, agentID string, diag func() string) *store.Scorecard {
	t.Helper()
	st, err := store.Open(ctx, h.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	wait, cancel := context.WithTimeout(ctx, 150*time.Second)
	defer cancel()
	for wait.Err() == nil {
		sc, err := st.LatestScorecard(wait, agentID)
		if err == nil {
			return sc
		}
		if !errors.Is(err, store.ErrNotFound) && wait.Err() == nil {
			t.Fatalf("hub database: %v", err)
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("no scorecard from the Wine service reached the hub in 150 s\n%s", diag())
	return nil
}

// syncBuf is a bytes.Buffer safe for a process writing while the test reads.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
