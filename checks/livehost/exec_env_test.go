package livehost

import (
	"context"
	"runtime"
	"testing"

	"github.com/vigie-cyber/vigie/checks"
)

// TestRunEnvPassesData: a value full of quotes, including the typographic
// ones PowerShell treats as string ends (U+2018-U+201B), arrives intact in
// the child's environment and nowhere in its command line.
func TestRunEnvPassesData(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("uses sh")
	}
	v := "D:\\Sauvegardes\u2019; Remove-Item C:\\ -Recurse; \u2018'\"$(id)`"
	var r checks.EnvRunner = ExecRunner{}
	out, err := r.RunEnv(context.Background(), []string{"VIGIE_ARG_PATH=" + v}, "sh", "-c", `printf %s "$VIGIE_ARG_PATH"`)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != v {
		t.Errorf("got %q, want %q", out, v)
	}
	// The runner's own environment is kept (LC_ALL=C is still added).
	out, err = ExecRunner{Env: []string{"KEEP=1"}}.RunEnv(context.Background(), []string{"ADD=2"}, "sh", "-c", `printf %s-%s-%s "$KEEP" "$ADD" "$LC_ALL"`)
	if err != nil || string(out) != "1-2-C" {
		t.Errorf("got %q %v", out, err)
	}
}
