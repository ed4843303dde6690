// Package auth hashes and checks adviser passwords with argon2id (RFC 9106)
// in the PHC string format, so parameters can be raised later without
// breaking stored hashes.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	Time    uint32
	Memory  uint32 // KiB
	Threads uint8
}

// Default follows RFC 9106's second recommended option (64 MiB, t=3, p=4):
// about 0.1 s per login on a small server, too slow for offline guessing.
var Default = Params{Time: 3, Memory: 64 * 1024, Threads: 4}

// Fast is for tests only.
var Fast = Params{Time: 1, Memory: 64, Threads: 1}

// MinPasswordLength is enforced when an account is created.
const MinPasswordLength = 12

// ErrWeak is returned for a password shorter than MinPasswordLength.
var ErrWeak = fmt.Errorf("password shorter than %d characters", MinPasswordLength)

// CheckStrength refuses short passwords (length is what matters most, NIST
// SP 800-63B; no composition rules).
func CheckStrength(pw string) error {
	if utf8.RuneCountInString(pw) < MinPasswordLength {
		return ErrWeak
	}
	return nil
}

// Hash returns the PHC string of pw.
func Hash(pw string, p Params) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errFormat = errors.New("not an argon2id hash")

// Check reports whether pw matches the PHC string, in constant time.
func Check(encoded, pw string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errFormat
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false, errFormat
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil || p.Time == 0 || p.Threads == 0 || p.Memory > 4<<20 {
		return false, errFormat
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return false, errFormat
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
