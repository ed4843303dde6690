package main

import (
	"context"
	"io"
)

func bundleExport(ctx context.Context, args []string, stdout io.Writer) error { return nil }
func bundleImport(ctx context.Context, args []string, stdout io.Writer) error { return nil }
