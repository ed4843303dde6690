package app_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/store"
)

// TestExportCSVDefused (issue 13, item 8): every cell of the CSV export is
// quoted, and no cell, nor any piece of one a spreadsheet splitting on ";"
// (French Excel) or "," would make, starts with a formula character.
func TestExportCSVDefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, st := newApp(t)
	tok, err := a.CreateToken(ctx, "Mairie, +33 2 98;@SUM(1)", "commune", time.Hour, "cli")
	if err != nil {
		t.Fatal(err)
	}
	host := `PC-01;=HYPERLINK("http://evil.example","x")`
	if _, err := st.Enroll(ctx, app.HashToken(tok), store.Agent{ID: "a1", PublicKey: []byte("k"), Hostname: host, OS: "-1+2", Platform: "deb\nian;-3"}, t0); err != nil {
		t.Fatal(err)
	}
	x, err := a.Export(ctx, app.Filter{Level: -1}, "fr", "csv", "cli")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := x.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	text := strings.TrimPrefix(buf.String(), "\ufeff")
	quoted := regexp.MustCompile(`^"(?:[^"]|"")*"(?:,"(?:[^"]|"")*")*$`)
	lines := strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2 (a line break in a value must not make a row):\n%s", len(lines), text)
	}
	for _, l := range lines {
		if !quoted.MatchString(l) {
			t.Errorf("a cell is not quoted: %s", l)
		}
		for _, piece := range strings.FieldsFunc(l, func(r rune) bool { return r == ';' || r == ',' }) {
			p := strings.TrimLeft(piece, `" `)
			if p != "" && strings.ContainsRune("=+-@\t\r", rune(p[0])) {
				t.Errorf("piece %q of a row starts a formula once split on ; or ,", piece)
			}
		}
	}
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	if row := recs[1]; row[0] != "Mairie, '+33 2 98;'@SUM(1)" || row[2] != `PC-01;'=HYPERLINK("http://evil.example","x")` || row[4] != "'-1+2" {
		t.Errorf("row read back %q", row)
	}
}
