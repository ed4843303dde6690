// Package packaging builds the agent's packages: build.sh makes the .deb and
// .rpm (nfpm) and the Windows zip (winzip), with vigie.exe signed by
// osslsigncode when a certificate is given. The package has no code of its
// own; its test runs build.sh and inspects what comes out with the tools of
// each format (dpkg-deb, rpm, osslsigncode).
package packaging
