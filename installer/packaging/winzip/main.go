// Command winzip writes the Windows package of Vigie: a zip of the given
// files at the top level, reproducible (fixed times, given order) so that
// two builds of the same version give the same bytes. Text files (.txt) get
// Windows line endings so that every Notepad shows them right.
//
//	go run ./installer/packaging/winzip OUT.zip vigie.exe README-windows.txt
package main

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "winzip :", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 {
		return errors.New("usage : winzip SORTIE.zip FICHIER...")
	}
	mtime, err := modTime()
	if err != nil {
		return err
	}
	out := args[0]
	tmp, err := os.CreateTemp(filepath.Dir(out), ".winzip-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	zw := zip.NewWriter(tmp)
	seen := map[string]bool{}
	for _, src := range args[1:] {
		name := filepath.Base(src)
		if seen[name] {
			return fmt.Errorf("deux fichiers nommés %s", name)
		}
		seen[name] = true
		if err := add(zw, src, name, mtime); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), out)
}

// modTime is SOURCE_DATE_EPOCH when set (reproducible builds), else a
// fixed date.
func modTime() (time.Time, error) {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q n'est pas un nombre de secondes", s)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), nil
}

func add(zw *zip.Writer, src, name string, mtime time.Time) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s n'est pas un fichier ordinaire", src)
	}
	var r io.Reader = f
	if strings.EqualFold(filepath.Ext(name), ".txt") {
		b, err := io.ReadAll(f)
		if err != nil {
			return err
		}
		b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
		r = bytes.NewReader(bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")))
	}
	h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: mtime}
	h.SetMode(0o644)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	return err
}
