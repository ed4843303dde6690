package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPublicURL (issue 13, item 9): --public-url is the address agents are
// told (https, no path); without it, one is derived from --san or the
// machine's name and --listen's port, and the hub warns.
func TestPublicURL(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		flag, listen string
		sans         []string
		want         string
		derived, bad bool
	}{
		{"https://hub.region.example", ":8443", nil, "https://hub.region.example", false, false},
		{"https://hub.region.example:9443/", ":8443", nil, "https://hub.region.example:9443", false, false},
		{"http://hub.region.example", ":8443", nil, "", false, true},
		{"https://hub.region.example/vigie", ":8443", nil, "", false, true},
		{"hub.region.example", ":8443", nil, "", false, true},
		{"", ":8443", []string{"hub.bzh", "10.0.0.1"}, "https://hub.bzh:8443", true, false},
		{"", ":443", []string{"hub.bzh"}, "https://hub.bzh", true, false},
		{"", "[::]:8443", []string{"2001:db8::1"}, "https://[2001:db8::1]:8443", true, false},
	} {
		got, derived, err := publicURL(c.flag, c.listen, c.sans)
		if (err != nil) != c.bad || got != c.want || derived != c.derived {
			t.Errorf("publicURL(%q, %q, %v) = %q, %v, %v; want %q, %v, error %v", c.flag, c.listen, c.sans, got, derived, err, c.want, c.derived, c.bad)
		}
	}

	for _, c := range []struct {
		args       []string
		out, noErr string
		errLine    string
	}{
		{[]string{"--public-url", "https://hub.region.example"}, "vigie install --hub https://hub.region.example --token", "--public-url absent", ""},
		{[]string{"--san", "hub.bzh"}, "vigie install --hub https://hub.bzh:", "", "--public-url absent"},
	} {
		dir := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		var sout, serr syncBuffer
		done := make(chan int)
		args := append([]string{"serve", "--db", filepath.Join(dir, "hub.db"), "--listen", "127.0.0.1:0"}, c.args...)
		go func() { done <- run(ctx, args, nil, &sout, &serr) }()
		for i := 0; i < 400 && !strings.Contains(sout.String(), "Hub à l'écoute"); i++ {
			time.Sleep(25 * time.Millisecond)
		}
		cancel()
		<-done
		if !strings.Contains(sout.String(), c.out) {
			t.Errorf("%v: output lacks %q:\n%s", c.args, c.out, sout.String())
		}
		if c.noErr != "" && strings.Contains(serr.String(), c.noErr) {
			t.Errorf("%v: warns %q though the address is given", c.args, c.noErr)
		}
		if c.errLine != "" && !strings.Contains(serr.String(), c.errLine) {
			t.Errorf("%v: no warning %q:\n%s", c.args, c.errLine, serr.String())
		}
	}
	if code, _, stderr := cli(t, "", "serve", "--public-url", "http://x"); code != exitUsage || !strings.Contains(stderr, "--public-url") {
		t.Errorf("serve --public-url http://x: %d %s", code, stderr)
	}
}
