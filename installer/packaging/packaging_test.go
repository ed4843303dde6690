//go:build linux

package packaging

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/agent"
	"github.com/vigie-cyber/vigie/checks/checkstest"
)

const version = "1.2.3"

// TestBuildPackages runs build.sh as a release would (one Linux
// architecture to keep it short, vigie.exe signed with a throwaway
// code-signing certificate) and checks each package with its own tools.
func TestBuildPackages(t *testing.T) {
	if testing.Short() {
		t.Skip("builds three binaries and nfpm: not in -short")
	}
	for _, tool := range []string{"bash", "dpkg-deb", "rpm", "osslsigncode", "openssl", "go", "wixl", "msibuild", "msiinfo"} {
		checkstest.Need(t, tool)
	}
	dir := t.TempDir()
	cert, key := codeSigningCert(t, dir)
	out := filepath.Join(dir, "out")
	run(t, []string{"VIGIE_ARCHES=amd64", "VIGIE_SIGN_CERT=" + cert, "VIGIE_SIGN_KEY=" + key, "SOURCE_DATE_EPOCH=1790000000"},
		"bash", "build.sh", "v"+version, out)

	deb := filepath.Join(out, "vigie_"+version+"-1_amd64.deb")
	rpm := filepath.Join(out, "vigie-"+version+"-1.x86_64.rpm")
	winzip := filepath.Join(out, "vigie_"+version+"_windows_amd64.zip")
	msi := filepath.Join(out, "vigie_"+version+"_windows_amd64.msi")

	t.Run("SHA256SUMS", func(t *testing.T) {
		sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{deb, rpm, winzip, msi} {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(b)
			line := hex.EncodeToString(sum[:]) + "  " + filepath.Base(f)
			if !strings.Contains(string(sums), line) {
				t.Errorf("SHA256SUMS lacks %q:\n%s", line, sums)
			}
		}
	})

	t.Run("deb", func(t *testing.T) {
		fields := run(t, nil, "dpkg-deb", "-f", deb, "Package", "Version", "Architecture")
		for _, want := range []string{"Package: vigie", "Version: " + version + "-1", "Architecture: amd64"} {
			if !strings.Contains(fields, want) {
				t.Errorf("control lacks %q:\n%s", want, fields)
			}
		}
		// The settings are a conffile: an upgrade keeps the entity's edits.
		if conffiles := run(t, nil, "dpkg-deb", "-I", deb, "conffiles"); strings.TrimSpace(conffiles) != "/etc/vigie/vigie.toml" {
			t.Errorf("conffiles = %q", conffiles)
		}
		list := run(t, nil, "dpkg-deb", "-c", deb)
		for _, re := range []string{
			`-rwxr-xr-x root/root .* \./usr/bin/vigie\n`,
			`-rw-r--r-- root/root .* \./usr/lib/systemd/system/vigie\.service\n`,
			`-rw-r----- root/root .* \./etc/vigie/vigie\.toml\n`,
			`drwx------ root/root .* \./var/lib/vigie/\n`,
		} {
			if !regexp.MustCompile(re).MatchString(list) {
				t.Errorf("no line matching %s in:\n%s", re, list)
			}
		}
		root := filepath.Join(t.TempDir(), "root")
		run(t, nil, "dpkg-deb", "-x", deb, root)
		checkInstalledTree(t, root)
		ctl := filepath.Join(t.TempDir(), "DEBIAN")
		run(t, nil, "dpkg-deb", "-e", deb, ctl)
		checkMaintainerScripts(t, ctl)
	})

	t.Run("rpm", func(t *testing.T) {
		q := run(t, nil, "rpm", "-qp", "--qf", "%{NAME} %{VERSION} %{RELEASE} %{ARCH}", rpm)
		if q != "vigie "+version+" 1 x86_64" {
			t.Errorf("rpm header = %q", q)
		}
		if c := strings.TrimSpace(run(t, nil, "rpm", "-qpc", rpm)); c != "/etc/vigie/vigie.toml" {
			t.Errorf("rpm config files = %q", c)
		}
		files := run(t, nil, "rpm", "-qpl", rpm)
		for _, f := range []string{"/usr/bin/vigie", "/usr/lib/systemd/system/vigie.service", "/var/lib/vigie"} {
			if !strings.Contains(files, f+"\n") {
				t.Errorf("rpm lacks %s:\n%s", f, files)
			}
		}
		scripts := run(t, nil, "rpm", "-qp", "--scripts", rpm)
		for _, s := range []string{"postinstall scriptlet", "preuninstall scriptlet", "postuninstall scriptlet"} {
			if !strings.Contains(scripts, s) {
				t.Errorf("rpm lacks its %s", s)
			}
		}
	})

	t.Run("msi", func(t *testing.T) { checkMSI(t, msi, cert) })

	t.Run("windows", func(t *testing.T) {
		zr, err := zip.OpenReader(winzip)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		var names []string
		files := map[string][]byte{}
		for _, f := range zr.File {
			names = append(names, f.Name)
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			b.ReadFrom(rc)
			rc.Close()
			files[f.Name] = b.Bytes()
		}
		if strings.Join(names, ",") != "vigie.exe,README-windows.txt" {
			t.Fatalf("zip holds %v", names)
		}
		exe := files["vigie.exe"]
		if !bytes.HasPrefix(exe, []byte("MZ")) {
			t.Error("vigie.exe is not a PE file")
		}
		readme := files["README-windows.txt"]
		if bytes.Count(readme, []byte("\n")) != bytes.Count(readme, []byte("\r\n")) || !bytes.Contains(readme, []byte("vigie.exe install")) {
			t.Error("README-windows.txt must have Windows line endings and the install command")
		}
		signed := filepath.Join(t.TempDir(), "vigie.exe")
		os.WriteFile(signed, exe, 0o644)
		v := run(t, nil, "osslsigncode", "verify", "-in", signed, "-CAfile", cert)
		if !strings.Contains(v, "Signature verification: ok") {
			t.Errorf("osslsigncode verify:\n%s", v)
		}
		// One byte changed in the code: the signature no longer holds.
		tampered := bytes.Clone(exe)
		tampered[len(tampered)/2] ^= 0xff
		os.WriteFile(signed, tampered, 0o644)
		if out, err := exec.Command("osslsigncode", "verify", "-in", signed, "-CAfile", cert).CombinedOutput(); err == nil {
			t.Errorf("a tampered vigie.exe verified:\n%s", out)
		}
	})
}

// msiTable exports one table of an MSI with msiinfo: rows of tab-separated
// columns, header lines left out.
func msiTable(t *testing.T, msi, table string) [][]string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(run(t, nil, "msiinfo", "export", msi, table), "\r\n"), "\n")
	var rows [][]string
	for i, l := range lines {
		if i < 3 { // column names, types, table name and key
			continue
		}
		rows = append(rows, strings.Split(strings.TrimRight(l, "\r"), "\t"))
	}
	return rows
}

// checkMSI reads the MSI's tables: what msiexec will do, in which order.
func checkMSI(t *testing.T, msi, cert string) {
	props := map[string]string{}
	for _, r := range msiTable(t, msi, "Property") {
		if len(r) == 2 {
			props[r[0]] = r[1]
		}
	}
	for k, v := range map[string]string{"ProductName": "Vigie", "ProductVersion": version, "UpgradeCode": "{6F0C3C1E-5B7A-4F1D-9C39-2A8E1D7B4E10}",
		"MsiHiddenProperties": "TOKEN", "ALLUSERS": "1", "ARPNOMODIFY": "1"} {
		if props[k] != v {
			t.Errorf("property %s = %q, want %q", k, props[k], v)
		}
	}
	files := msiTable(t, msi, "File")
	var names []string
	for _, r := range files {
		names = append(names, r[2])
	}
	if strings.Join(names, ",") != "vigie.exe,LISEZ-MOI.txt" && strings.Join(names, ",") != "LISEZ-MOI.txt,vigie.exe" {
		t.Errorf("files %v", names)
	}
	ca := map[string][]string{}
	for _, r := range msiTable(t, msi, "CustomAction") {
		ca[r[0]] = r
	}
	// Type 18 (run an installed file), deferred (0x400), as LocalSystem
	// (0x800), and the enrolment's command line hidden from the log (0x2000).
	if r := ca["VigieServiceInstall"]; len(r) < 4 || r[1] != "11282" || r[2] != "VigieExe" || r[3] != `install --hub "[HUB]" --token "[TOKEN]" --fingerprint "[FINGERPRINT]"` {
		t.Errorf("install action %q", r)
	}
	if r := ca["VigieServiceUninstall"]; len(r) < 4 || r[1] != "3154" || r[3] != "uninstall" {
		t.Errorf("uninstall action %q", r)
	}
	if r := ca["VigieServicePurge"]; len(r) < 4 || r[3] != "uninstall --purge" {
		t.Errorf("purge action %q", r)
	}
	seq := map[string]int{}
	cond := map[string]string{}
	for _, r := range msiTable(t, msi, "InstallExecuteSequence") {
		if len(r) == 3 {
			n := 0
			fmt.Sscan(r[2], &n)
			seq[r[0]], cond[r[0]] = n, r[1]
		}
	}
	// The old version goes (its service stopped and removed, key and state
	// kept) before anything is installed; the service is installed once the
	// files are in place; uninstall removes the service before the files.
	order := []string{"InstallValidate", "RemoveExistingProducts", "InstallInitialize", "VigieServiceUninstall", "RemoveFiles", "InstallFiles", "VigieServiceInstall", "InstallFinalize"}
	for i := 1; i < len(order); i++ {
		if seq[order[i-1]] == 0 || seq[order[i]] == 0 || seq[order[i-1]] >= seq[order[i]] {
			t.Errorf("sequence: %s (%d) must come before %s (%d)", order[i-1], seq[order[i-1]], order[i], seq[order[i]])
		}
	}
	for a, c := range map[string]string{"VigieServiceInstall": `NOT REMOVE="ALL"`, "VigieServiceUninstall": `REMOVE="ALL" AND NOT PURGE="1"`, "VigieServicePurge": `REMOVE="ALL" AND PURGE="1"`} {
		if cond[a] != c {
			t.Errorf("condition of %s = %q, want %q", a, cond[a], c)
		}
	}
	v := run(t, nil, "osslsigncode", "verify", "-in", msi, "-CAfile", cert)
	if !strings.Contains(v, "Signature verification: ok") {
		t.Errorf("osslsigncode verify (msi):\n%s", v)
	}
}

// checkInstalledTree checks what the .deb puts on disk: a binary that runs
// and reports the package's version, the unit that runs it with the
// packaged settings, and settings the agent loads.
func checkInstalledTree(t *testing.T, root string) {
	t.Helper()
	v := run(t, nil, filepath.Join(root, "usr/bin/vigie"), "version")
	if !strings.Contains(v, version) {
		t.Errorf("vigie version = %q, want %s", v, version)
	}
	unit, err := os.ReadFile(filepath.Join(root, "usr/lib/systemd/system/vigie.service"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(unit), "\nExecStart=/usr/bin/vigie run --config /etc/vigie/vigie.toml\n") {
		t.Errorf("unit does not run the packaged binary:\n%s", unit)
	}
	if _, err := agent.LoadConfig(filepath.Join(root, "etc/vigie/vigie.toml")); err != nil {
		t.Errorf("packaged vigie.toml does not load: %v", err)
	}
}

// checkMaintainerScripts runs the .deb's postinst and prerm with a
// systemctl that only records its arguments: a first install enables the
// service without starting it (it is not enrolled yet), an upgrade does not
// enable it again, a removal stops and disables it, an upgrade's prerm
// leaves it alone.
func checkMaintainerScripts(t *testing.T, ctl string) {
	t.Helper()
	for _, s := range []string{"postinst", "prerm", "postrm"} {
		run(t, nil, "sh", "-n", filepath.Join(ctl, s))
	}
	bin := t.TempDir()
	calls := filepath.Join(bin, "calls")
	os.WriteFile(filepath.Join(bin, "systemctl"), []byte("#!/bin/sh\necho \"$@\" >>"+calls+"\n"), 0o755)
	env := []string{"PATH=" + bin + ":/usr/bin:/bin"}
	// With a running systemd (a developer's machine) the scripts also stop
	// and restart; in a container or CI they must not try.
	_, err := os.Stat("/run/systemd/system")
	booted := err == nil
	ifBooted := func(s string) string {
		if booted {
			return s
		}
		return ""
	}
	cases := []struct {
		script string
		args   []string
		want   string
	}{
		{"postinst", []string{"configure", ""}, "enable vigie.service\n"},
		{"postinst", []string{"configure", "1.0.0-1"}, ifBooted("try-restart vigie.service\n")},
		{"prerm", []string{"upgrade", "1.2.4-1"}, ""},
		{"prerm", []string{"remove"}, ifBooted("stop vigie.service\n") + "disable vigie.service\n"},
	}
	for _, c := range cases {
		os.Remove(calls)
		msg := run(t, env, "sh", append([]string{filepath.Join(ctl, c.script)}, c.args...)...)
		raw, _ := os.ReadFile(calls)
		got := strings.ReplaceAll(string(raw), "daemon-reload\n", "")
		if got != c.want {
			t.Errorf("%s %v: systemctl calls %q, want %q", c.script, c.args, got, c.want)
		}
		if c.script == "postinst" && c.args[1] == "" && !strings.Contains(msg, "vigie enroll") {
			t.Errorf("first install must tell how to enrol, printed:\n%s", msg)
		}
	}
}

// TestBuildRefusesBadInput: the script fails at once, in French, on a
// wrong version or an unreadable certificate, before building anything.
func TestBuildRefusesBadInput(t *testing.T) {
	checkstest.Need(t, "bash")
	checkstest.Need(t, "osslsigncode")
	out := t.TempDir()
	for _, c := range []struct {
		env  []string
		args []string
		want string
	}{
		{nil, []string{"1.2"}, "usage"},
		{nil, []string{"1.2", out}, "version 1.2 invalide"},
		{[]string{"VIGIE_SIGN_CERT=/nonexistent/cert.pem"}, []string{"1.2.3", out}, "certificat illisible"},
	} {
		cmd := exec.Command("bash", append([]string{"build.sh"}, c.args...)...)
		cmd.Env = append(os.Environ(), c.env...)
		b, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(b), c.want) {
			t.Errorf("build.sh %v with %v: err %v, output %q, want %q", c.args, c.env, err, b, c.want)
		}
		if entries, _ := os.ReadDir(out); len(entries) != 0 {
			t.Errorf("build.sh %v left files in the output folder", c.args)
		}
	}
}

func codeSigningCert(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	run(t, nil, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
		"-subj", "/CN=Vigie test code signing", "-addext", "extendedKeyUsage=codeSigning",
		"-keyout", key, "-out", cert)
	return cert, key
}

func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}
