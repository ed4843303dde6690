package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestZipIsReproducibleWithWindowsLineEndings(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "vigie.exe")
	txt := filepath.Join(dir, "README-windows.txt")
	os.WriteFile(exe, []byte("MZ\x00\n\x01"), 0o755)
	os.WriteFile(txt, []byte("ligne 1\nligne 2\r\nligne 3\n"), 0o644)
	t.Setenv("SOURCE_DATE_EPOCH", "1790000000")
	a, b := filepath.Join(dir, "a.zip"), filepath.Join(dir, "b.zip")
	for _, out := range []string{a, b} {
		if err := run([]string{out, exe, txt}); err != nil {
			t.Fatal(err)
		}
	}
	za, _ := os.ReadFile(a)
	zb, _ := os.ReadFile(b)
	if !bytes.Equal(za, zb) {
		t.Error("two builds of the same files differ")
	}
	zr, err := zip.NewReader(bytes.NewReader(za), int64(len(za)))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		body, _ := io.ReadAll(rc)
		rc.Close()
		got[f.Name] = string(body)
		if f.Modified.Unix() != 1790000000 {
			t.Errorf("%s dated %v, want SOURCE_DATE_EPOCH", f.Name, f.Modified)
		}
	}
	if got["vigie.exe"] != "MZ\x00\n\x01" {
		t.Errorf("binary changed: %q", got["vigie.exe"])
	}
	if got["README-windows.txt"] != "ligne 1\r\nligne 2\r\nligne 3\r\n" {
		t.Errorf("text: %q", got["README-windows.txt"])
	}
}

func TestZipErrors(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "a.txt")
	os.WriteFile(f, []byte("x"), 0o644)
	other := filepath.Join(dir, "sub")
	os.Mkdir(other, 0o755)
	os.WriteFile(filepath.Join(other, "a.txt"), []byte("y"), 0o644)
	out := filepath.Join(dir, "out.zip")
	for _, c := range []struct {
		args []string
		env  string
		want string
	}{
		{[]string{out}, "", "usage"},
		{[]string{out, f, filepath.Join(other, "a.txt")}, "", "deux fichiers nommés a.txt"},
		{[]string{out, filepath.Join(dir, "absent")}, "", "no such file"},
		{[]string{out, other}, "", "n'est pas un fichier ordinaire"},
		{[]string{out, f}, "demain", "SOURCE_DATE_EPOCH"},
	} {
		t.Setenv("SOURCE_DATE_EPOCH", c.env)
		err := run(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err %v, want %q", c.args, err, c.want)
		}
		if _, serr := os.Stat(out); serr == nil {
			t.Errorf("%v: a failed run left %s", c.args, out)
		}
	}
}
