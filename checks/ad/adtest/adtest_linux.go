//go:build linux

package adtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

var nsSeq atomic.Int64

// New provisions a domain in opts.Dir/dc and starts samba in a new network
// namespace. Errors wrapping ErrUnavailable mean this machine cannot run
// the peer (no samba, not root).
func New(ctx context.Context, opts Options) (*DC, error) {
	logf := opts.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	for _, p := range []string{"samba", "samba-tool", "ip", "ldbadd"} {
		if _, err := exec.LookPath(p); err != nil {
			return nil, fmt.Errorf("%w: %s is not installed (test.sh installs it)", ErrUnavailable, p)
		}
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("%w: network namespaces need root", ErrUnavailable)
	}
	dir := filepath.Join(opts.Dir, "dc")
	tlsDir := filepath.Join(dir, "tls")
	if err := os.MkdirAll(tlsDir, 0o700); err != nil {
		return nil, err
	}
	// smbd opens SYSVOL's files as the session's user (a Unix id mapped
	// from its SID), so every folder above state/sysvol must let others
	// through (x, not r): t.TempDir makes them 0700.
	for _, p := range []string{opts.Dir, dir} {
		if err := os.Chmod(p, 0o711); err != nil {
			return nil, err
		}
	}
	ca, cert, key, err := makeCerts(tlsDir)
	if err != nil {
		return nil, fmt.Errorf("test certificates: %w", err)
	}
	d := &DC{
		Dir: dir, SmbConf: filepath.Join(dir, "etc", "smb.conf"), SamLDB: filepath.Join(dir, "private", "sam.ldb"),
		Sysvol: filepath.Join(dir, "state", "sysvol"), CAFile: ca,
		Namespace: fmt.Sprintf("vigie-ad-%d-%d", os.Getpid(), nsSeq.Add(1)),
	}
	// Every path samba writes goes under dir, so nothing touches /var/lib/samba
	// or /run/samba and two harnesses cannot collide.
	opt := func(k, v string) string { return "--option=" + k + "=" + v }
	args := []string{"domain", "provision", "--realm=" + Realm, "--domain=" + NetBIOS, "--server-role=dc",
		"--dns-backend=NONE", "--adminpass=" + AdminPassword, "--host-name=dc1", "--targetdir=" + dir,
		opt("interfaces", "lo"), opt("bind interfaces only", "yes"),
		opt("pid directory", filepath.Join(dir, "run")), opt("ncalrpc dir", filepath.Join(dir, "ncalrpc")),
		opt("winbindd socket directory", filepath.Join(dir, "winbindd")),
		opt("ntp signd socket directory", filepath.Join(dir, "ntp_signd")),
		opt("log file", filepath.Join(dir, "log.%m")), opt("log level", "1"),
		opt("tls enabled", "yes"), opt("tls keyfile", key), opt("tls certfile", cert), opt("tls cafile", ""),
	}
	t0 := time.Now()
	if out, err := exec.CommandContext(ctx, "samba-tool", args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("samba-tool domain provision: %v\n%s", err, tail(out))
	}
	d.Timings.Provision = time.Since(t0)
	logf("adtest: provisioned %s in %v", Realm, d.Timings.Provision.Round(time.Millisecond))
	if opts.BeforeStart != nil {
		if err := opts.BeforeStart(d.SamLDB); err != nil {
			return nil, err
		}
	}
	if out, err := exec.Command("ip", "netns", "add", d.Namespace).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("ip netns add: %v: %s", err, out)
	}
	delNS := func() { exec.Command("ip", "netns", "del", d.Namespace).Run() }
	if out, err := exec.Command("ip", "-n", d.Namespace, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		delNS()
		return nil, fmt.Errorf("ip link set lo up: %v: %s", err, out)
	}
	logFile, err := os.Create(filepath.Join(dir, "samba.out"))
	if err != nil {
		delNS()
		return nil, err
	}
	// smbd asks winbindd to map a session's SIDs to Unix ids through the
	// socket folder compiled into libwbclient (/run/samba/winbindd), not
	// the one smb.conf names: without it every SMB session setup fails
	// with NT_STATUS_INTERNAL_ERROR. `ip netns exec` runs samba in a mount
	// namespace of its own (mounts do not propagate back), where a private
	// tmpfs on /run/samba shows this harness's winbindd folder there.
	cmd := exec.Command("ip", "netns", "exec", d.Namespace, "sh", "-c",
		`mkdir -p /run/samba "$1" && mount -t tmpfs -o mode=0755 vigie-adtest /run/samba && mkdir /run/samba/winbindd && `+
			`mount --bind "$1" /run/samba/winbindd && exec samba -i -s "$2"`,
		"sh", filepath.Join(dir, "winbindd"), d.SmbConf)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group: samba forks many children, stopped together.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	t1 := time.Now()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		delNS()
		return nil, fmt.Errorf("samba: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	d.stop = func() error {
		pgid := cmd.Process.Pid
		syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-pgid, syscall.SIGKILL)
			<-exited
		}
		// The master exits first; its children may still be writing to
		// the folder. Wait until the whole group is gone.
		for i := 0; syscall.Kill(-pgid, 0) == nil; i++ {
			if i == 50 {
				syscall.Kill(-pgid, syscall.SIGKILL)
			}
			time.Sleep(100 * time.Millisecond)
		}
		logFile.Close()
		delNS()
		return nil
	}
	// Ready when LDAPS completes a TCP connection inside the namespace.
	deadline := time.Now().Add(90 * time.Second)
	for {
		c, err := d.Dialer().DialContext(ctx, "tcp", LDAPSAddr)
		if err == nil {
			c.Close()
			break
		}
		select {
		case err := <-exited:
			d.stop = func() error { logFile.Close(); delNS(); return nil }
			d.Close()
			out, _ := os.ReadFile(logFile.Name())
			return nil, fmt.Errorf("samba exited before serving LDAPS: %v\n%s", err, tail(out))
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			d.Close()
			out, _ := os.ReadFile(logFile.Name())
			return nil, fmt.Errorf("samba did not serve LDAPS within 90 s: %v\n%s", err, tail(out))
		}
	}
	d.Timings.Start = time.Since(t1)
	logf("adtest: samba serves LDAPS after %v", d.Timings.Start.Round(time.Millisecond))
	return d, nil
}

func tail(b []byte) string {
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Dialer opens connections inside the domain controller's namespace.
func (d *DC) Dialer() NSDialer { return NSDialer{Namespace: d.Namespace} }

// NSDialer dials from inside a named network namespace: the socket is made
// by a thread switched into the namespace, then the thread switches back.
// Only the socket lives there; the calling process stays where it is.
type NSDialer struct{ Namespace string }

// DialContext implements checks.Dialer.
func (n NSDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, err}
			return
		}
		defer orig.Close()
		target, err := os.Open(filepath.Join("/run/netns", n.Namespace))
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, err}
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, fmt.Errorf("setns %s: %w", n.Namespace, err)}
			return
		}
		c, err := (&net.Dialer{}).DialContext(ctx, network, address)
		if unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) == nil {
			// Back in the original namespace: the thread is clean again.
			// Otherwise it stays locked and dies with this goroutine.
			runtime.UnlockOSThread()
		}
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

// Exec runs a program inside the namespace (the bench runs the agent there).
func (d *DC) Exec(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", d.Namespace, name}, args...)...)
}

// Ldbmodify applies an LDIF change set to sam.ldb directly (the way
// samba-tool does), bypassing LDAP access checks but not the schema.
// Controls such as "relax:0" let tests set what a DC sets itself.
func (d *DC) Ldbmodify(ctx context.Context, ldif string, controls ...string) error {
	return d.ldb(ctx, "ldbmodify", ldif, controls)
}

// Ldbadd adds the LDIF entries to sam.ldb directly.
func (d *DC) Ldbadd(ctx context.Context, ldif string, controls ...string) error {
	return d.ldb(ctx, "ldbadd", ldif, controls)
}

func (d *DC) ldb(ctx context.Context, prog, ldif string, controls []string) error {
	args := []string{"-H", d.SamLDB}
	for _, c := range controls {
		args = append(args, "--controls="+c)
	}
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Stdin = stringReader(ldif)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", prog, err, tail(out))
	}
	return nil
}

// LdbFile runs ldbadd or ldbmodify on an LDIF file (bulk loads), with
// extra options such as --nosync.
func LdbFile(ctx context.Context, prog, samLDB, file string, opts ...string) error {
	out, err := exec.CommandContext(ctx, prog, append(append([]string{"-H", samLDB}, opts...), file)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", prog, file, err, tail(out))
	}
	return nil
}
