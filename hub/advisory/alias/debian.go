package alias

import "regexp"

// Debian builds its signed kernel images from their own source packages:
// linux-image-6.1.0-41-amd64, version 6.1.158-1, comes from source
// linux-signed-amd64 version 6.1.158+1, a template package that carries
// the image built from `linux` 6.1.158-1 and signs it. Debian's advisories
// (DSA/DLA, and CERT-FR's entries from them) name `linux` and its version:
// the signed package's own version (+1, +2 when only the signing changed)
// is not ordered with it — 6.1.158+1 sorts after the fix 6.1.158-2. The
// image's binary version is the `linux` version it was built from.
//
// The same holds for the other architectures (arm64, i386) and for the
// kernel series a release carries beside its own (bullseye's
// linux-signed-6.1-amd64 from linux-6.1).
var signedKernel = regexp.MustCompile(`^linux-signed(-[0-9]+\.[0-9]+)?-(amd64|arm64|i386)$`)

// DebianSource returns the source package and version a Debian advisory
// names for an installed binary package: the kernel's source (`linux`,
// `linux-6.1`) and the image's own version for a signed kernel image, the
// package's source and source version otherwise.
func DebianSource(srcPkg, srcVersion, binVersion string) (string, string) {
	if m := signedKernel.FindStringSubmatch(srcPkg); m != nil {
		return "linux" + m[1], binVersion
	}
	if srcVersion == "" {
		srcVersion = binVersion
	}
	return srcPkg, srcVersion
}
