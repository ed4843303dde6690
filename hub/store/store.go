// Package store keeps everything the hub knows: entities, enrolment tokens,
// agents, every scorecard received (history) with a "latest scorecard per
// agent" table for the overview, adviser accounts, sessions and the audit log.
//
// One interface, two implementations sharing the same SQL: SQLite (the
// default, one file, pure Go) and PostgreSQL (pgx) for regions that outgrow
// one machine. The same test suite (storetest) runs against both.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/protocol"
)

// Errors the API and the UI map to statuses and sentences.
var (
	ErrNotFound     = errors.New("not found")
	ErrTokenUnknown = errors.New("unknown enrolment token")
	ErrTokenExpired = errors.New("enrolment token expired")
	ErrTokenUsed    = errors.New("enrolment token already used")
	ErrKeyEnrolled  = errors.New("key already enrolled for another entity")
	ErrRevoked      = errors.New("agent revoked")
	ErrExists       = errors.New("already exists")
	ErrClosed       = errors.New("store closed")
	// ErrNoDatabase: OpenExisting found no database where it was told.
	ErrNoDatabase = errors.New("no hub database")
	// ErrNotMigrated: OpenExisting found a database whose schema is not
	// this hub's (SchemaError says which).
	ErrNotMigrated = errors.New("hub database not initialised or not up to date")
)

// NoScore marks a domain with nothing applicable (or absent).
const NoScore = -1

// Entity is a public body of the region (commune, hospital, port...).
type Entity struct {
	ID     int64
	Name   string
	Sector string
	// SizeBand is its hub/cohort.Band ("" until given): what it is
	// compared within.
	SizeBand string
}

// Token is an enrolment token, valid for Uses enrolments (1 unless made for
// a fleet). Only its SHA-256 is stored.
type Token struct {
	Hash      []byte
	EntityID  int64
	Entity    string
	Sector    string
	CreatedAt time.Time
	ExpiresAt time.Time
	CreatedBy string
	UsedAt    time.Time // last use; zero while unused
	UsedBy    string    // agent ID of the last use
	Uses      int       // enrolments it allows (0 in CreateToken: 1)
	UsedCount int       // enrolments made with it
}

// Agent is an enrolled host, identified by its Ed25519 key.
type Agent struct {
	ID              string // protocol.KeyID(PublicKey)
	PublicKey       []byte
	EntityID        int64
	Entity          string
	Sector          string
	Hostname        string
	OS              string
	Platform        string
	PlatformVersion string
	AgentVersion    string
	EnrolledAt      time.Time
	LastSeen        time.Time // last accepted scorecard
	LastSequence    uint64
	RevokedAt       time.Time // zero unless revoked
	RevokedBy       string
	// PreviousID is the agent whose history this one continues (LinkAgent),
	// "" for none.
	PreviousID string
}

// Revoked reports whether the agent's key is refused.
func (a Agent) Revoked() bool { return !a.RevokedAt.IsZero() }

// Scorecard is one stored scorecard: the verified envelope as received plus
// the columns the UI aggregates without decoding it.
type Scorecard struct {
	AgentID      string
	ID           string
	Sequence     uint64
	ReceivedAt   time.Time
	StartedAt    time.Time
	FinishedAt   time.Time
	Score        int
	Level        int
	Capped       bool
	DomainScores DomainScores // by domain; NoScore when not applicable
	Failed       []string     // IDs of failed checks (for regional campaigns)
	Hostname     string
	OS           string
	Platform     string
	AgentVersion string
	Envelope     []byte // the DSSE envelope exactly as received
	// Payload and PayloadBase64, set together by a caller that verified the
	// envelope (the hub's ingestion), are its payload decoded and as the
	// envelope carries it (strict standard base64). The store then keeps
	// the payload in clear inside the envelope's compressed form, smaller
	// and cheaper to make (compress.go). Optional; never read back.
	Payload       []byte
	PayloadBase64 string
	// Inventory is the scorecard's software_sha256, the name its agent
	// gave the host's inventory (empty: none collected). NewInventory is
	// the inventory itself when the scorecard carried it and the hub did
	// not hold it, canonical and checked by the caller (the hub's
	// ingestion). Assets are the appliances the agent declares.
	Inventory    string
	NewInventory *NewInventory
	Assets       []protocol.Asset
	// InventoryID is the stored inventory this scorecard names (0: none,
	// or one the hub did not hold when it arrived).
	InventoryID int64
	// InventoryMissing is set by SaveScorecard when it stored a scorecard
	// naming an inventory the hub does not hold: the agent is asked for it
	// (protocol.IngestResponse.SendInventory).
	InventoryMissing bool
	// Late is set by a caller that accepts a genuine scorecard older than
	// its agent's latest (vigie-hub import: a USB stick carried late):
	// instead of Replayed, a scorecard whose ID and sequence are not
	// stored yet is kept as History: in the agent's history, never as its
	// latest (the overview's row, the agent's last sequence, its current
	// inventory and declared assets stay those of the newer scorecard).
	// The upload API never sets it: online, an old sequence is a replay.
	Late bool
}

// Outcome is what SaveScorecard did.
type Outcome int

const (
	Stored    Outcome = iota + 1 // written and committed durably
	Duplicate                    // same scorecard ID already stored: nothing written
	Replayed                     // sequence not above the last stored: nothing written
	// History: a Late scorecard older than the agent's latest, stored in
	// its history only (Scorecard.Late).
	History
)

func (o Outcome) String() string {
	switch o {
	case Stored:
		return "stored"
	case Duplicate:
		return "duplicate"
	case Replayed:
		return "replayed"
	case History:
		return "history"
	}
	return "?"
}

// HostRow is one agent with its entity and, when it has reported, its latest
// scorecard (without the envelope): the overview's unit.
type HostRow struct {
	Agent  Agent
	Latest *Scorecard // nil if the agent never reported
}

// HostFilter narrows Hosts.
type HostFilter struct {
	EntityID       int64 // 0: all
	IncludeRevoked bool
}

// Point is one scorecard in an agent's history (trend chart).
type Point struct {
	AgentID    string
	ID         string
	Sequence   uint64
	FinishedAt time.Time
	ReceivedAt time.Time
	Score      int
	Level      int
}

// Role of an adviser account.
type Role string

const (
	RoleAdviser Role = "adviser"
	RoleAdmin   Role = "admin"
)

// ParseRole accepts "adviser" or "admin".
func ParseRole(s string) (Role, error) {
	switch Role(s) {
	case RoleAdviser, RoleAdmin:
		return Role(s), nil
	}
	return "", fmt.Errorf("unknown role %q (adviser or admin)", s)
}

// User is an adviser or admin account.
type User struct {
	ID           int64
	Email        string
	Role         Role
	PasswordHash string // argon2id, PHC string
	CreatedAt    time.Time
	Disabled     bool
}

// Session is a logged-in browser. Only the SHA-256 of the cookie is stored.
type Session struct {
	Hash      []byte
	UserID    int64
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// AuditEntry records who viewed or changed what.
type AuditEntry struct {
	ID     int64
	At     time.Time
	Actor  string // user e-mail, "cli", or "agent:<id>"
	Action string // login, login_failed, token_create, agent_revoke, export, view_entity...
	Target string
	Detail string
}

// Answer is one organisational answer kept for an entity: the question's
// ID, the answer (protocol.AnswerValues, or "" when it was cleared: « non
// renseigné »), who gave it (an adviser's e-mail or "agent:<id>") and when
// the hub received it.
type Answer struct {
	Question string
	Value    string
	By       string
	At       time.Time
}

// Store is the hub's storage. Every method is safe for concurrent use.
type Store interface {
	// EnsureEntity returns the entity named name, creating it in sector
	// when new; an existing entity's sector is left as it is.
	EnsureEntity(ctx context.Context, name, sector string) (Entity, error)
	// SetEntitySector moves entity id to sector. Errors: ErrNotFound.
	SetEntitySector(ctx context.Context, id int64, sector string) error
	// SetEntitySizeBand sets entity id's size band ("" clears it); the
	// caller checks it. Errors: ErrNotFound.
	SetEntitySizeBand(ctx context.Context, id int64, band string) error
	Entity(ctx context.Context, id int64) (Entity, error)
	Entities(ctx context.Context) ([]Entity, error)

	CreateToken(ctx context.Context, t Token) error
	Tokens(ctx context.Context) ([]Token, error)
	// Enroll consumes the token whose hash is tokenHash and records the
	// agent for the token's entity, atomically. Errors: ErrTokenUnknown,
	// ErrTokenExpired, ErrTokenUsed, ErrKeyEnrolled, ErrRevoked (a revoked
	// key stays revoked whatever the token: protocol v2; the token is not
	// consumed). A token allows Token.Uses enrolments, each recorded; the
	// same key presenting a token it already used gets its agent back (a
	// retried enrolment, not counted again).
	Enroll(ctx context.Context, tokenHash []byte, a Agent, now time.Time) (Agent, error)
	// TokenUse is which use of the token the agent's enrolment was (n) and
	// how many the token allows (of). ErrNotFound.
	TokenUse(ctx context.Context, tokenHash []byte, agentID string) (n, of int, err error)
	Agent(ctx context.Context, id string) (Agent, error)
	RevokeAgent(ctx context.Context, id, by string, now time.Time) error
	// ReinstateAgent lifts a revocation (made by mistake). ErrNotFound.
	ReinstateAgent(ctx context.Context, id string) error
	// LinkAgent makes newID continue oldID's history (History follows the
	// link). ErrNotFound when newID is unknown or already linked.
	LinkAgent(ctx context.Context, oldID, newID string) error

	// HasScorecard reports whether the agent already stored this scorecard ID.
	HasScorecard(ctx context.Context, agentID, id string) (bool, error)
	// SaveScorecard stores sc durably (committed before it returns) unless
	// it is a duplicate or a replay, decided atomically. ErrRevoked and
	// ErrNotFound for an agent revoked or unknown meanwhile.
	SaveScorecard(ctx context.Context, sc *Scorecard) (Outcome, error)
	Scorecard(ctx context.Context, agentID, id string) (*Scorecard, error)
	LatestScorecard(ctx context.Context, agentID string) (*Scorecard, error)
	// History is the agent's scorecards, oldest first, the agents it
	// continues (LinkAgent) included, at most limit of them (the newest).
	History(ctx context.Context, agentID string, limit int) ([]Point, error)
	Hosts(ctx context.Context, f HostFilter) ([]HostRow, error)

	// SetAnswers records answers for the entity, each replacing the
	// entity's previous answer to its question. ErrNotFound for an
	// unknown entity.
	SetAnswers(ctx context.Context, entityID int64, answers []Answer) error
	// SaveAgentAnswers records answers sent by an agent for its entity,
	// atomically with the replay decision: answeredAt must be later than
	// that of the last answers accepted from this agent (else Replayed,
	// nothing written). It returns the agent's entity ID. ErrNotFound and
	// ErrRevoked for an agent unknown or revoked.
	SaveAgentAnswers(ctx context.Context, agentID string, answeredAt time.Time, answers []Answer) (int64, Outcome, error)
	// Answers returns the entity's answers, by question ID.
	Answers(ctx context.Context, entityID int64) ([]Answer, error)
	// AllAnswers returns every entity's answers, by entity ID (the
	// overview's entity levels).
	AllAnswers(ctx context.Context) (map[int64][]Answer, error)

	CreateUser(ctx context.Context, u User) (User, error)
	UserByEmail(ctx context.Context, email string) (User, error)
	Users(ctx context.Context) ([]User, error)
	SetUserDisabled(ctx context.Context, id int64, disabled bool) error

	CreateSession(ctx context.Context, s Session) error
	SessionUser(ctx context.Context, hash []byte, now time.Time) (Session, User, error)
	DeleteSession(ctx context.Context, hash []byte) error

	Audit(ctx context.Context, e AuditEntry) error
	AuditLog(ctx context.Context, limit int) ([]AuditEntry, error)
	// AuditPage is the audit log newest first, from the entry before ID
	// before (0: the newest), at most limit entries, each text cut to
	// MaxAuditField characters.
	AuditPage(ctx context.Context, before int64, limit int) ([]AuditEntry, error)

	Advisories
	Inventories
	Federation
	Incidents

	Close() error
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens (and migrates) the store named by dsn: a postgres:// URL, or
// else the path of a SQLite file.
func Open(ctx context.Context, dsn string) (Store, error) {
	if IsPostgres(dsn) {
		return OpenPostgres(ctx, dsn)
	}
	return OpenSQLite(ctx, dsn)
}

// OpenExisting opens the store named by dsn like Open but never creates nor
// migrates it: a mistyped path or URL must not silently start an empty hub
// database. Errors: ErrNoDatabase (no SQLite file there), ErrNotMigrated (a
// database not initialised, or of another schema version: see Open, which
// the init command uses).
func OpenExisting(ctx context.Context, dsn string) (Store, error) {
	if IsPostgres(dsn) {
		return openPostgres(ctx, dsn, false)
	}
	return openSQLite(ctx, dsn, false)
}

// Importer is implemented by stores that can load many scorecards in one
// transaction, with the same duplicate and replay decisions as
// SaveScorecard (migrations between backends, benchmarks).
type Importer interface {
	Import(ctx context.Context, scs []*Scorecard) ([]Outcome, error)
}

// Backuper is implemented by stores that can copy themselves, consistently
// and while the hub runs, into a new file: SQLite. A PostgreSQL database is
// saved with PostgreSQL's own tools (pg_dump).
type Backuper interface {
	// Backup writes a consistent copy of the whole database to path, which
	// must not exist yet; the copy is complete or absent, never partial.
	Backup(ctx context.Context, path string) error
}
