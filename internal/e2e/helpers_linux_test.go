//go:build linux

package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/internal/archtest"
)

// bins are the two binaries, built once for the package's tests.
type bins struct{ vigie, hub string }

var (
	buildOnce sync.Once
	built     bins
	buildErr  error
)

// build compiles vigie and vigie-hub into a temporary folder (one go build
// for both: they share most of the build cache's work).
func build(t *testing.T) bins {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		checkstest.Unavailable(t, "the go command is needed to build vigie and vigie-hub")
	}
	root := archtest.Root(t)
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "vigie-e2e-bin-")
		if err != nil {
			buildErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, gobin, "build", "-o", dir+string(filepath.Separator), "./cmd/vigie", "./cmd/vigie-hub")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New("go build: " + err.Error() + "\n" + string(out))
			return
		}
		built = bins{vigie: filepath.Join(dir, "vigie"), hub: filepath.Join(dir, "vigie-hub")}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

// needRoot: the tests mount small tmpfs file systems (a USB stick that
// fills up or is pulled out) and run scans in a network namespace of their
// own, which takes root. CI runs as root.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		checkstest.Unavailable(t, "root is needed to mount a tmpfs stick and make a network namespace")
	}
	for _, tool := range []string{"mount", "umount", "unshare"} {
		if _, err := exec.LookPath(tool); err != nil {
			checkstest.Unavailable(t, tool+" (util-linux) is not on PATH")
		}
	}
}

// res is what a command did.
type res struct {
	code     int
	out, err string
}

func (r res) String() string {
	return "exit " + strconv.Itoa(r.code) + "\n--- stdout\n" + r.out + "--- stderr\n" + r.err
}

// run runs a command to its end (2 minutes at most) and returns its exit
// code and output.
func run(t *testing.T, name string, args ...string) res {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := res{out: out.String(), err: errb.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.Exited():
		r.code = exit.ExitCode()
	default:
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, r)
	}
	return r
}

// want fails the test unless r exited with code and each of lines is in
// its stdout or stderr.
func want(t *testing.T, what string, r res, code int, lines ...string) {
	t.Helper()
	ok := r.code == code
	for _, l := range lines {
		if !strings.Contains(r.out, l) && !strings.Contains(r.err, l) {
			ok = false
			t.Errorf("%s: %q missing", what, l)
		}
	}
	if !ok {
		t.Fatalf("%s: want exit %d\n%s", what, code, r)
	}
}

// serve starts `vigie-hub serve` on a loopback port (the first start makes
// the hub's self-signed certificate) and returns the fingerprint it prints
// for the agents, and a stop that sends SIGTERM, as systemd would, and
// expects an orderly exit.
func serve(t *testing.T, hub, db string) (fingerprint string, stop func()) {
	t.Helper()
	cmd := exec.Command(hub, "serve", "--db", db, "--listen", "127.0.0.1:0")
	var out, errb syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "Hub à l'écoute sur https://127.0.0.1:") {
		if time.Now().After(deadline) {
			t.Fatalf("vigie-hub serve did not start:\n%s\n%s", out.String(), errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	m := regexp.MustCompile(`--fingerprint ([0-9a-f]{64})`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("serve printed no fingerprint:\n%s", out.String())
	}
	return m[1], func() {
		t.Helper()
		stopped = true
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil || !strings.Contains(errb.String(), "hub arrêté") {
				t.Errorf("vigie-hub serve stopped with %v\n%s", err, errb.String())
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Error("vigie-hub serve did not stop on SIGTERM")
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// mountStick mounts a tmpfs of size at dir (a USB stick) and unmounts it
// at the end of the test if it is still there.
func mountStick(t *testing.T, dir, size string) {
	t.Helper()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0755", "tmpfs", dir).CombinedOutput(); err != nil {
		checkstest.Unavailable(t, "mount tmpfs: "+err.Error()+" "+string(out))
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
}

func umount(t *testing.T, dir string) {
	t.Helper()
	if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
		t.Fatalf("umount %s: %v %s", dir, err, out)
	}
}

// copyFile copies src to dst, making dst's folder.
func copyFile(t *testing.T, src, dst string) []byte {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dst, data)
	return data
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// copyTree copies a folder of regular files (an agent's state folder, as a
// backup restores it), keeping their modes.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(target, info.Mode().Perm())
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}
