package version

import "testing"

func TestCompare(t *testing.T) {
	cases := []struct {
		eco  Ecosystem
		a, b string
		want int
	}{
		// dpkg: epochs win over everything, "~" sorts before the empty string,
		// revisions compare after the upstream version.
		{Deb, "6.1.158-1", "6.1.162-1", -1},
		{Deb, "6.1.162-1", "6.1.162-1", 0},
		{Deb, "1:1.0-1", "2.0-1", 1},
		{Deb, "6.1.119-1~deb11u1", "6.1.119-1", -1},
		{Deb, "3.0.15-1~deb12u1", "3.0.15-1", -1},
		{Deb, "3.0.17-1~deb12u2", "3.0.17-1~deb12u1", 1},
		{Deb, "2.33.1-0.1+deb10u1", "2.33.1-0.1", 1},
		{Deb, "1.0~rc1-1", "1.0-1", -1},
		{Deb, "5.10.226-1", "5.10.237-1", -1},
		{Deb, "1.2.3", "1.2.3-0", 0},
		// rpm: epochs, alphanumeric segments, tilde pre-releases.
		{RPM, "3.0.7-27.el9", "3.0.7-28.el9", -1},
		{RPM, "1:3.0.7-1.el9", "3.5.0-1.el9", 1},
		{RPM, "1.0-1.el9_2", "1.0-1.el9", 1},
		{RPM, "1.0~rc1-1", "1.0-1", -1},
		{RPM, "5.14.0-427.13.1.el9_4", "5.14.0-427.13.1.el9_4", 0},
		{RPM, "2.0.10", "2.0.9", 1},
		// dotted: Windows builds, browsers, letter releases, pre-releases.
		{Dotted, "10.0.19045.6809", "10.0.19045.6809", 0},
		{Dotted, "10.0.19045.6808", "10.0.19045.6809", -1},
		{Dotted, "10.0.19045.10000", "10.0.19045.6809", 1},
		{Dotted, "10.0.14393.8688", "10.0.19045.1", -1},
		{Dotted, "145.0.7632.109", "145.0.7632.110", -1},
		{Dotted, "128.10", "128.10.0", 0},
		{Dotted, "128.10.1", "128.10", 1},
		{Dotted, "1.1.1zb", "1.1.1za", 1},
		{Dotted, "1.1.1zb", "1.1.1", 1},
		{Dotted, "1.1.1w", "1.1.1zb", -1},
		{Dotted, "2.4.7-p3", "2.4.7", 1},
		{Dotted, "2.4.7-p3", "2.4.7-p13", -1},
		{Dotted, "3.0.0-rc1", "3.0.0", -1},
		{Dotted, "3.0.0-beta2", "3.0.0-rc1", -1},
		{Dotted, "14.1-43.56", "14.1-47.46", -1},
		{Dotted, "7.2.1-69057-2", "7.2.1-69057-3", -1},
		{Dotted, "0012.3", "12.3", 0},
		{Dotted, "99999999999999999999999.1", "99999999999999999999998.9", 1},
	}
	for _, c := range cases {
		got, err := Compare(c.eco, c.a, c.b)
		if err != nil {
			t.Errorf("%s: Compare(%q, %q): %v", c.eco, c.a, c.b, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s: Compare(%q, %q) = %d, want %d", c.eco, c.a, c.b, got, c.want)
		}
		// Antisymmetry: swapping the arguments flips the sign.
		back, _ := Compare(c.eco, c.b, c.a)
		if back != -c.want {
			t.Errorf("%s: Compare(%q, %q) = %d, want %d", c.eco, c.b, c.a, back, -c.want)
		}
	}
}

func TestCompareErrors(t *testing.T) {
	cases := []struct {
		eco  Ecosystem
		a, b string
	}{
		{Deb, "", "1.0"},
		{Deb, "1.0 beta", "1.0"},  // a space is not a Debian version
		{Deb, "1:", "1.0"},        // an epoch with nothing after it
		{Dotted, "latest", "1.0"}, // no digit at all
		{Dotted, "1.0", "   "},    // blank
		{"cargo", "1.0", "1.0"},   // unknown ecosystem
		{Dotted, string(make([]byte, MaxLen+1)), "1"},
	}
	for _, c := range cases {
		if _, err := Compare(c.eco, c.a, c.b); err == nil {
			t.Errorf("%s: Compare(%q, %q): no error", c.eco, c.a, c.b)
		}
	}
}

func TestInBranch(t *testing.T) {
	cases := []struct {
		v, branch string
		want      bool
	}{
		{"7.4.4", "7.4.x", true},
		{"7.4.4", "7.4", true},
		{"7.40.1", "7.4", false},
		{"7.2.9", "7.4.x", false},
		{"1.1.1w", "1.1.1x", true},
		{"1.1.1w", "1.1.1.x", true},
		{"1.0.2zk", "1.1.1x", false},
		{"h5.2.0.2860", "h5.x.x", true},
		{"5.2.0.2860", "h5.x.x", false},
		{"13.0.1", "13.x.x", true},
		{"7", "7.0", true},
		{"7", "7.1", false},
		{"7.4", "", false},
	}
	for _, c := range cases {
		if got := InBranch(c.v, c.branch); got != c.want {
			t.Errorf("InBranch(%q, %q) = %v, want %v", c.v, c.branch, got, c.want)
		}
	}
}

// FuzzCompareDotted checks that the dotted ordering is a consistent order on
// whatever strings it accepts: reflexive and antisymmetric.
func FuzzCompareDotted(f *testing.F) {
	for _, s := range []string{"1.0", "1.1.1zb", "2.4.7-p3", "3.0.0-rc1", "10.0.19045.6809", "h5.2.0 build 20240817"} {
		f.Add(s, "1.0")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, errA := CompareDotted(a, b)
		ba, errB := CompareDotted(b, a)
		if (errA == nil) != (errB == nil) {
			t.Fatalf("errors differ: %v / %v", errA, errB)
		}
		if errA != nil {
			return
		}
		if ab != -ba {
			t.Fatalf("Compare(%q,%q)=%d but Compare(%q,%q)=%d", a, b, ab, b, a, ba)
		}
		if c, _ := CompareDotted(a, a); c != 0 {
			t.Fatalf("Compare(%q,%q)=%d, want 0", a, a, c)
		}
	})
}
