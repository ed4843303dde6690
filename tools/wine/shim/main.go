// Command shim writes bcryptprimitives.dll for a Wine prefix, so that Go
// programs run under Debian 12's Wine 8.0.
//
// Why: since Go 1.22 the Windows runtime gets its random bytes from
// ProcessPrng in bcryptprimitives.dll, loaded at start-up before main; Wine
// gained that DLL only in 9.0, so under Wine 8 every Go program (vigie.exe,
// Windows test binaries) dies before its first line. ProcessPrng(buf, len)
// and advapi32's SystemFunction036 (RtlGenRandom, which Go used before 1.22
// and Wine has always had) take the same arguments in the same registers on
// amd64 and both return non-zero on success; Go only tests the low byte of
// the result. So the DLL needs no code at all: its one export is a
// forwarder, a string "advapi32.SystemFunction036" that the Windows (and
// Wine) loader resolves in place of an address.
//
// The file is built here rather than stored as a binary so that every byte
// is explained and reviewable. Usage: go run ./tools/wine/shim DEST.dll
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: shim DEST.dll")
		os.Exit(2)
	}
	if err := os.WriteFile(os.Args[1], dll(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "shim:", err)
		os.Exit(1)
	}
}
