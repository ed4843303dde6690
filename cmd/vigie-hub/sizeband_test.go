package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-cyber/vigie/hub/store"
)

// TestSizeBandCommands (issue 22): token create --size-band gives a new
// entity its band (entity list shows it); another band for the existing
// entity is refused, pointing at set-size-band; set-size-band changes it,
// audited with the old and new bands, and refuses a band of the other
// scale (a population band for a port) without writing.
func TestSizeBandCommands(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "hub.db")
	mustInit(t, db)
	if code, out, stderr := cli(t, "", "token", "create", "--db", db, "--entity", "Mairie de Lanildut", "--sector", "commune", "--size-band", "pop-lt-1000"); code != 0 {
		t.Fatalf("token create: %d %q %q", code, out, stderr)
	}
	cli(t, "", "token", "create", "--db", db, "--entity", "Port de Brest", "--sector", "port")
	code, out, _ := cli(t, "", "entity", "list", "--db", db)
	if want := "Mairie de Lanildut\tCommune ou intercommunalité (commune)\tmoins de 1 000 habitants (pop-lt-1000)\nPort de Brest\tPort (port)\n"; code != 0 || out != want {
		t.Errorf("entity list: %d %q, want %q", code, out, want)
	}
	code, _, stderr := cli(t, "", "token", "create", "--db", db, "--entity", "Mairie de Lanildut", "--sector", "commune", "--size-band", "pop-1000-3499")
	if code != exitFail || !strings.Contains(stderr, "existe déjà avec la tranche de taille « moins de 1 000 habitants »") || !strings.Contains(stderr, "entity set-size-band") {
		t.Errorf("another band by token: %d %q", code, stderr)
	}
	code, out, stderr = cli(t, "", "entity", "set-size-band", "--db", db, "--entity", "Mairie de Lanildut", "--size-band", "pop-1000-3499")
	if code != 0 || !strings.Contains(out, "« moins de 1 000 habitants » remplacée par « 1 000 à 3 499 habitants »") {
		t.Fatalf("set-size-band: %d %q %q", code, out, stderr)
	}
	code, _, stderr = cli(t, "", "entity", "set-size-band", "--db", db, "--entity", "Port de Brest", "--size-band", "pop-lt-1000")
	if code != exitFail || !strings.Contains(stderr, "une tranche de nombre de postes parmi hosts-lt-20") {
		t.Errorf("population band for a port: %d %q", code, stderr)
	}
	st, err := store.OpenExisting(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log, _ := st.AuditLog(context.Background(), 10)
	if log[0].Action != "entity_size_band" || log[0].Actor != "cli" || log[0].Target != "Mairie de Lanildut" || log[0].Detail != "pop-lt-1000 -> pop-1000-3499" {
		t.Errorf("audit: %+v", log[0])
	}
	es, _ := st.Entities(context.Background())
	if es[1].SizeBand != "" {
		t.Errorf("refused band written: %+v", es[1])
	}
}
