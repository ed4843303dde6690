package alias

import (
	"testing"

	"github.com/vigie-cyber/vigie/hub/advisory/version"
)

// TestDebianSource: Debian's signed kernel images (linux-signed-amd64,
// -arm64, -i386, as dpkg-query and apt-cache show them on bookworm:
// "Source: linux-signed-amd64 (6.1.176+1)", "Version: 6.1.176-1") are the
// `linux` source at the image's own version; other packages keep their
// source and source version.
func TestDebianSource(t *testing.T) {
	for _, c := range []struct{ src, srcVer, ver, wantSrc, wantVer string }{
		{"linux-signed-amd64", "6.1.158+1", "6.1.158-1", "linux", "6.1.158-1"},
		{"linux-signed-arm64", "6.1.153+1", "6.1.153-1", "linux", "6.1.153-1"},
		{"linux-signed-i386", "6.1.140+1", "6.1.140-1", "linux", "6.1.140-1"},
		{"linux-signed-5.10-amd64", "5.10.237+1", "5.10.237-1", "linux-5.10", "5.10.237-1"},
		{"linux", "6.1.158-1", "6.1.158-1", "linux", "6.1.158-1"},
		{"openssl", "3.0.17-1~deb12u2", "3.0.17-1~deb12u2", "openssl", "3.0.17-1~deb12u2"},
		{"bash", "5.2.15-2", "5.2.15-2+b8", "bash", "5.2.15-2"}, // binNMU: the source version
		{"zlib", "", "1:1.2.13.dfsg-1", "zlib", "1:1.2.13.dfsg-1"},
		{"linux-signed-amd64-extra", "1", "1", "linux-signed-amd64-extra", "1"}, // not the template's name
		{"linux-signed-s390x", "1", "2", "linux-signed-s390x", "1"},             // no such signed image
	} {
		src, ver := DebianSource(c.src, c.srcVer, c.ver)
		if src != c.wantSrc || ver != c.wantVer {
			t.Errorf("DebianSource(%q, %q, %q) = %q, %q; want %q, %q", c.src, c.srcVer, c.ver, src, ver, c.wantSrc, c.wantVer)
		}
	}
	// Why the signed package's own version cannot be used: it sorts after
	// a Debian revision of the same upstream kernel.
	if c, err := version.Compare(version.Deb, "6.1.158+1", "6.1.158-2"); err != nil || c <= 0 {
		t.Errorf("6.1.158+1 vs 6.1.158-2 = %d, %v (the premise changed)", c, err)
	}
}
