#!/usr/bin/env bash
# Builds the Vigie agent packages:
#   OUTDIR/vigie_VERSION_amd64.deb, vigie_VERSION_arm64.deb   (Debian, Ubuntu)
#   OUTDIR/vigie-VERSION-1.x86_64.rpm, ...aarch64.rpm          (RHEL, Rocky, Fedora, SUSE)
#   OUTDIR/vigie_VERSION_windows_amd64.zip                     (vigie.exe + README-windows.txt)
#   OUTDIR/vigie_VERSION_windows_amd64.msi                     (the same, for msiexec / GPO / Intune)
#   OUTDIR/SHA256SUMS
#
# usage: installer/packaging/build.sh VERSION OUTDIR
#
# Environment:
#   VIGIE_ARCHES        Linux architectures, default "amd64 arm64"
#   VIGIE_MAINTAINER    Maintainer field of the .deb/.rpm
#   VIGIE_SIGN_CERT     Authenticode certificate of vigie.exe: PEM (with its
#                       chain) plus VIGIE_SIGN_KEY, or a PKCS#12 file (.p12/.pfx)
#   VIGIE_SIGN_KEY      PEM private key (with a PEM VIGIE_SIGN_CERT)
#   VIGIE_SIGN_PASS     password of the key or of the PKCS#12 file, if any
#   VIGIE_SIGN_TIMESTAMP RFC 3161 timestamp server URL (optional: without it
#                       the signature is valid only while the certificate is)
#   SOURCE_DATE_EPOCH   file times in the zip (reproducible builds)
#   GO                  the go command, default "go"
#
# Needs Go and network access to the Go module proxy the first time (nfpm is
# run with `go run`, pinned below, and kept out of go.mod); wixl and msibuild
# (Debian's msitools) for the MSI; osslsigncode only when signing.
set -euo pipefail

NFPM=github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2 # v2.46+ need go.digitalxero.dev modules, not served by the proxy
GO=${GO:-go}

die() { echo "build.sh : $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage : build.sh VERSION DOSSIER_DE_SORTIE"
version=${1#v}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$ ]] ||
	die "version $1 invalide : attendu X.Y.Z ou X.Y.Z-suffixe (SemVer)"
mkdir -p "$2"
outdir=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
arches=${VIGIE_ARCHES:-amd64 arm64}
export VIGIE_MAINTAINER=${VIGIE_MAINTAINER:-"Projet Vigie <https://github.com/vigie-cyber/vigie/issues>"}

# Signing inputs are checked before anything is built: a typo in a path
# must not cost a full build.
signargs=()
if [ -n "${VIGIE_SIGN_CERT:-}${VIGIE_SIGN_KEY:-}" ]; then
	command -v osslsigncode >/dev/null || die "VIGIE_SIGN_CERT donné mais osslsigncode est absent (apt install osslsigncode)"
	[ -r "${VIGIE_SIGN_CERT:-}" ] || die "VIGIE_SIGN_CERT : certificat illisible : ${VIGIE_SIGN_CERT:-(vide)}"
	if grep -q -- '-----BEGIN CERTIFICATE-----' "$VIGIE_SIGN_CERT"; then
		[ -r "${VIGIE_SIGN_KEY:-}" ] || die "VIGIE_SIGN_KEY : clé privée PEM illisible : ${VIGIE_SIGN_KEY:-(vide)}"
		signargs=(-certs "$VIGIE_SIGN_CERT" -key "$VIGIE_SIGN_KEY")
	else
		signargs=(-pkcs12 "$VIGIE_SIGN_CERT") # DER: PKCS#12
	fi
fi

command -v wixl >/dev/null && command -v msibuild >/dev/null || die "wixl et msibuild absents : apt install msitools (pour le .msi)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/out"

ldflags="-s -w -X github.com/vigie-cyber/vigie/agent.Version=$version"
build() { # GOOS GOARCH OUTPUT
	echo "build.sh : vigie $version pour $1/$2"
	CGO_ENABLED=0 GOOS=$1 GOARCH=$2 "$GO" build -C "$repo" -trimpath -ldflags "$ldflags" -o "$3" ./cmd/vigie
}

# 1. The unit and the default configuration, written by `vigie install
#    --root` itself (no enrolment, no service manager) so that a package
#    installs exactly what `vigie install` would.
build "$("$GO" env GOHOSTOS)" "$("$GO" env GOHOSTARCH)" "$work/host/vigie"
"$work/host/vigie" install --root "$work/gen" >/dev/null ||
	die "vigie install --root a échoué"
unit=$work/gen/etc/systemd/system/vigie.service
conf=$work/gen/etc/vigie/vigie.toml
[ -f "$unit" ] && [ -f "$conf" ] || die "vigie install --root n'a pas écrit $unit et $conf"
# ExecStart names the binary that ran install (under $work): the package's
# is /usr/bin/vigie.
sed -i 's#^ExecStart=[^ ]* run #ExecStart=/usr/bin/vigie run #' "$unit"
grep -qx 'ExecStart=/usr/bin/vigie run --config /etc/vigie/vigie.toml' "$unit" ||
	die "ligne ExecStart inattendue dans $unit"

# 2. .deb and .rpm per architecture, with nfpm run from the staging folder
#    (nfpm.yaml's paths are relative to it).
for arch in $arches; do
	stage=$work/linux-$arch
	mkdir -p "$stage/root/usr/bin" "$stage/root/usr/lib/systemd/system" "$stage/root/etc/vigie"
	build linux "$arch" "$stage/root/usr/bin/vigie"
	cp "$unit" "$stage/root/usr/lib/systemd/system/vigie.service"
	cp "$conf" "$stage/root/etc/vigie/vigie.toml"
	cp -r "$here/scripts" "$stage/scripts"
	for packager in deb rpm; do
		(cd "$stage" && VIGIE_ARCH=$arch VIGIE_VERSION=$version \
			"$GO" run "$NFPM" pkg --config "$here/nfpm.yaml" --packager "$packager" --target "$work/out/") ||
			die "nfpm ($packager, $arch) a échoué"
	done
done

# 3. Windows: vigie.exe, signed when a certificate is given, in a zip with
#    its French README.
exe=$work/windows/vigie.exe
build windows amd64 "$exe"
if [ ${#signargs[@]} -gt 0 ]; then
	if [ -n "${VIGIE_SIGN_PASS:-}" ]; then
		(umask 077 && printf '%s' "$VIGIE_SIGN_PASS" >"$work/pass")
		signargs+=(-readpass "$work/pass") # not on the command line, seen by ps
	fi
	if [ -n "${VIGIE_SIGN_TIMESTAMP:-}" ]; then
		signargs+=(-ts "$VIGIE_SIGN_TIMESTAMP")
	fi
	echo "build.sh : signature Authenticode de vigie.exe"
	osslsigncode sign "${signargs[@]}" -h sha256 -n Vigie -i https://github.com/vigie-cyber/vigie \
		-in "$exe" -out "$exe.signed" >/dev/null || die "osslsigncode sign a échoué"
	mv "$exe.signed" "$exe"
fi
zip=$work/out/vigie_${version}_windows_amd64.zip
"$GO" run -C "$repo" ./installer/packaging/winzip "$zip" "$exe" "$here/README-windows.txt"

# 4. The MSI (vigie.wxs says what it does; msi.sh builds it).
msi=$work/out/vigie_${version}_windows_amd64.msi
bash "$here/msi.sh" "$version" "$exe" "$here/README-windows.txt" "$msi" || die "msi.sh a échoué"
if [ ${#signargs[@]} -gt 0 ]; then
	echo "build.sh : signature Authenticode du .msi"
	osslsigncode sign "${signargs[@]}" -h sha256 -n Vigie -i https://github.com/vigie-cyber/vigie \
		-in "$msi" -out "$msi.signed" >/dev/null || die "osslsigncode sign (msi) a échoué"
	mv "$msi.signed" "$msi"
fi

# 5. Checksums, then everything to OUTDIR.
(cd "$work/out" && sha256sum -- * >SHA256SUMS)
mv -f "$work/out"/* "$outdir/"
echo "build.sh : paquets dans $outdir :"
ls -1 "$outdir"
