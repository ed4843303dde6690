package api

import (
	"crypto/rand"
	"crypto/sha256"
	"strings"
)

// tokenAlphabet is Crockford's base32: no I, L, O, U, so a token read aloud
// on the phone or copied from paper is not mistyped.
const tokenAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewToken returns a fresh enrolment token: 20 symbols (100 bits) in groups
// of four, like "7F3K-Q9XD-M2PA-TT4H-0BC8".
func NewToken() string {
	var b [20]byte
	rand.Read(b[:])
	var sb strings.Builder
	for i, v := range b {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(tokenAlphabet[int(v)%32])
	}
	return sb.String()
}

// NormalizeToken uppercases and drops separators and spaces, and reads the
// letters Crockford maps to digits (O to 0, I and L to 1).
func NormalizeToken(tok string) string {
	var sb strings.Builder
	for _, r := range strings.ToUpper(tok) {
		switch {
		case r == '-' || r == ' ' || r == '\t' || r == '\n' || r == '\r':
		case r == 'O':
			sb.WriteByte('0')
		case r == 'I' || r == 'L':
			sb.WriteByte('1')
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// HashToken is what the store keeps of a token: its SHA-256, never the token.
// Lookups by this hash leak nothing useful by their timing, and the store
// compares the found hash in constant time.
func HashToken(tok string) []byte {
	h := sha256.Sum256([]byte("vigie-enrolment-token:" + NormalizeToken(tok)))
	return h[:]
}
