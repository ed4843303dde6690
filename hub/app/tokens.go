package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/cohort"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// MaxTokenValidity bounds how long an enrolment token stays usable.
const MaxTokenValidity = 30 * 24 * time.Hour

// CreateToken makes a one-time enrolment token for entity (created in
// sector when new) valid for validity, and records it in the audit log as
// made by by; it returns the token, which the store keeps only as a hash
// (HashToken). Errors wrapping ErrBadInput are the caller's; an
// *EntityConflict among them when the entity exists under another spelling
// or in another sector (a token never changes an entity: SetSector does).
func (a *App) CreateToken(ctx context.Context, entity, sector string, validity time.Duration, by string) (string, error) {
	return a.CreateFleetToken(ctx, entity, sector, validity, 1, by)
}

// MaxTokenUses bounds the enrolments one token allows.
const MaxTokenUses = 10000

// CreateFleetToken is CreateToken for a token that enrols up to uses
// agents (a town hall's 30 PCs, an MSI pushed by Group Policy); each use
// is audited when it happens (hub/api).
func (a *App) CreateFleetToken(ctx context.Context, entity, sector string, validity time.Duration, uses int, by string) (string, error) {
	return a.CreateEntityToken(ctx, TokenRequest{Entity: entity, Sector: sector, Validity: validity, Uses: uses}, by)
}

// TokenRequest is what an administrator asks a token for.
type TokenRequest struct {
	Entity, Sector string
	// SizeBand is the entity's hub/cohort.Band, given when the token
	// creates the entity ("" leaves it to give later); for an existing
	// entity it must be its band or "" (a token never changes an entity:
	// SetSizeBand does).
	SizeBand string
	Validity time.Duration
	Uses     int // enrolments it allows, 1 to MaxTokenUses
}

// CreateEntityToken is CreateFleetToken with the entity's size band.
func (a *App) CreateEntityToken(ctx context.Context, r TokenRequest, by string) (string, error) {
	entity, sector, validity, uses := r.Entity, r.Sector, r.Validity, r.Uses
	if err := CheckEntity(entity, sector); err != nil {
		return "", err
	}
	band, err := cohort.ParseBand(protocol.Sector(sector), r.SizeBand)
	if err != nil {
		return "", fmt.Errorf("%w : %v", ErrBadInput, err)
	}
	if uses < 1 || uses > MaxTokenUses {
		return "", fmt.Errorf("%w : nombre d'utilisations %d hors de 1 à %d", ErrBadInput, uses, MaxTokenUses)
	}
	if validity <= 0 || validity > MaxTokenValidity {
		return "", fmt.Errorf("%w : validité %s hors de 1 s à %s", ErrBadInput, validity, MaxTokenValidity)
	}
	st, now := a.cfg.Store, a.cfg.Now()
	e, created, err := a.entityFor(ctx, entity, sector, band)
	if err != nil {
		return "", err
	}
	detail := ""
	if created && band != "" {
		detail = "; size band " + string(band)
	}
	tok := NewToken()
	if err := st.CreateToken(ctx, store.Token{Hash: HashToken(tok), EntityID: e.ID, CreatedAt: now, ExpiresAt: now.Add(validity), CreatedBy: by, Uses: uses}); err != nil {
		return "", err
	}
	a.Record(ctx, by, "token_create", e.Name, fmt.Sprintf("%s; uses %d; token %s%s", validity, uses, TokenRef(HashToken(tok)), detail))
	return tok, nil
}

// Tokens lists the enrolment tokens, newest first.
func (a *App) Tokens(ctx context.Context) ([]store.Token, error) { return a.cfg.Store.Tokens(ctx) }

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

// TokenRef names a token in the audit log without revealing it: the first
// 8 hex digits of its hash.
func TokenRef(hash []byte) string { return hex.EncodeToString(hash[:min(4, len(hash))]) }
