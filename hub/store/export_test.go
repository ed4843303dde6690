package store

import "context"

// WithMigrationLimit makes Open stop at schema version n, as a previous
// hub version would have left the database.
func WithMigrationLimit(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, migrationLimit{}, n)
}
