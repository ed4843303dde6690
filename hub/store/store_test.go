package store_test

import (
	"path/filepath"
	"testing"

	"github.com/vigie-cyber/vigie/hub/store/pgtest"
	"github.com/vigie-cyber/vigie/hub/store/storetest"
)

func TestSQLite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) string { return filepath.Join(t.TempDir(), "hub.db") })
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) string { return pgtest.DSN(t) })
}
