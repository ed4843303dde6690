package api

import (
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"log/slog"
	"math"
	"strconv"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// Core is the one path by which a scorecard is verified and stored, shared
// by the upload API (Ingest) and « vigie-hub import » (offline files): the
// agent known and unrevoked, the envelope signed once by the agent's own
// key, the summary decoded within the protocol's bounds and naming the
// signer, the inventory it carries attached, then the store's atomic
// decision (stored, duplicate, replayed, revoked or unknown meanwhile).
// What only HTTP needs (headers, rate limits, slots, slow bodies) stays in
// Ingest; what only import needs (decryption, ordering) stays in import.
type Core struct {
	store  store.Store
	now    func() time.Time
	log    *slog.Logger
	stored func(agentID string)
}

// CoreConfig holds the core's dependencies. Stored, when set, is told of
// each scorecard stored as its host's latest, after its commit (Config.Stored).
type CoreConfig struct {
	Store  store.Store
	Now    func() time.Time
	Logger *slog.Logger
	Stored func(agentID string)
}

// NewCore returns the core.
func NewCore(cfg CoreConfig) *Core {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Core{store: cfg.Store, now: cfg.Now, log: cfg.Logger, stored: cfg.Stored}
}

// Refusal is why a signed upload was refused: the protocol's error code,
// the HTTP status the API answers with, and the message in French and
// English. The API writes it as the protocol's error body; import prints
// the French. Anything else a Core method returns is a storage failure.
type Refusal struct {
	Status int
	Code   string
	FR, EN string
}

func (r *Refusal) Error() string { return r.Code + ": " + r.EN }

func refusal(status int, code, fr, en string) *Refusal {
	return &Refusal{Status: status, Code: code, FR: fr, EN: en}
}

func refuseUnknownAgent() *Refusal {
	return refusal(401, protocol.CodeUnknownAgent, "Agent inconnu de ce hub : enrôlez-le avec un jeton.", "Agent unknown to this hub: enrol it with a token.")
}

func refuseRevoked() *Refusal {
	return refusal(403, protocol.CodeAgentRevoked,
		"Cet agent a été révoqué : ses bilans sont refusés. Relancez vigie enroll, qui créera une nouvelle clé.",
		"This agent was revoked: its scorecards are refused. Run vigie enroll again, which makes a new key.")
}

func refuseReplayed(seq uint64) *Refusal {
	return refusal(409, protocol.CodeReplayedSequence,
		"Numéro de séquence "+strconv.FormatUint(seq, 10)+" déjà dépassé pour cet agent : bilan rejoué, refusé.",
		"Sequence number "+strconv.FormatUint(seq, 10)+" already passed for this agent: replayed scorecard refused.")
}

// Agent returns the agent id, known and unrevoked (*Refusal otherwise).
func (c *Core) Agent(ctx context.Context, id string) (store.Agent, error) {
	a, err := c.store.Agent(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return a, refuseUnknownAgent()
	}
	if err != nil {
		return a, err
	}
	if a.Revoked() {
		return a, refuseRevoked()
	}
	return a, nil
}

// Signer is the agent ID an envelope's one signature names, read before
// anything is verified, to find the key that must verify it (import has no
// X-Vigie-Agent header).
func Signer(body []byte) (string, *Refusal) {
	env, err := protocol.ParseEnvelope(body)
	if err == nil && len(env.Signatures) != 1 {
		err = errors.New("one signature expected")
	}
	if err != nil || !protocol.ValidAgentID(env.Signatures[0].KeyID) {
		return "", malformedEnvelope()
	}
	return env.Signatures[0].KeyID, nil
}

func malformedEnvelope() *Refusal {
	return refusal(400, protocol.CodeMalformedEnvelope, "Enveloppe signée illisible (DSSE attendu).", "Unreadable signed envelope (DSSE expected).")
}

// openSigned opens an upload's envelope: one signature, by the agent's own
// key (its key ID equal to the agent's), of payloadType, valid. what names
// the document in the refusal ("le bilan", "les réponses").
func openSigned(log *slog.Logger, body []byte, agent store.Agent, payloadType, whatFR, whatEN string) (protocol.Envelope, []byte, *Refusal) {
	env, err := protocol.ParseEnvelope(body)
	if err == nil && len(env.Signatures) != 1 {
		err = errors.New("one signature expected")
	}
	if err != nil {
		return env, nil, malformedEnvelope()
	}
	if env.Signatures[0].KeyID != agent.ID {
		return env, nil, refusal(422, protocol.CodeAgentMismatch, "L'en-tête X-Vigie-Agent ne correspond pas à la clé qui a signé.", "The X-Vigie-Agent header does not match the signing key.")
	}
	payload, err := protocol.Verify(env, payloadType, ed25519.PublicKey(agent.PublicKey))
	if errors.Is(err, protocol.ErrMalformed) {
		return env, nil, refusal(400, protocol.CodeMalformedEnvelope, "Enveloppe signée illisible (base64 invalide).", "Unreadable signed envelope (invalid base64).")
	}
	if err != nil {
		log.Warn("upload: bad signature", "agent", agent.ID, "type", payloadType, "err", err)
		return env, nil, refusal(422, protocol.CodeBadSignature,
			"Signature invalide : "+whatFR+" a été modifié ou n'a pas été signé par cet agent.",
			"Invalid signature: "+whatEN+" was altered or not signed by this agent.")
	}
	return env, payload, nil
}

// Checked is a scorecard whose envelope verified against its agent's key
// and whose summary decoded: ready for Save.
type Checked struct {
	Agent   store.Agent
	Body    []byte // the envelope as received: what the store keeps
	payload []byte
	b64     string
	doc     *upload
}

// Summary is the verified scorecard's summary.
func (c *Checked) Summary() *protocol.Summary { return &c.doc.Summary }

// Check verifies body, a scorecard envelope of at most
// protocol.MaxEnvelopeSize bytes, against agent, in the protocol's order.
// It reads no storage: callers run it in parallel.
func (c *Core) Check(agent store.Agent, body []byte) (*Checked, *Refusal) {
	if len(body) > protocol.MaxEnvelopeSize {
		return nil, refusal(413, protocol.CodeRequestTooLarge,
			"Requête trop volumineuse (limite "+strconv.Itoa(protocol.MaxEnvelopeSize)+" octets).",
			"Request too large (limit "+strconv.Itoa(protocol.MaxEnvelopeSize)+" bytes).")
	}
	env, payload, ref := openSigned(c.log, body, agent, protocol.PayloadType, "le bilan", "the scorecard")
	if ref != nil {
		return nil, ref
	}
	// The summary is all the hub files; the page showing this scorecard
	// decodes the rest (protocol.Summary says what that leaves unchecked).
	doc, err := decodeUpload(payload)
	if err == nil && doc.Sequence > math.MaxInt64 {
		err = errors.New("sequence out of range")
	}
	if err != nil {
		return nil, refusal(400, protocol.CodeMalformedScorecard, "Bilan illisible ou invalide : "+err.Error()+".", "Unreadable or invalid scorecard: "+err.Error()+".")
	}
	if doc.AgentID != agent.ID {
		return nil, refusal(422, protocol.CodeAgentMismatch, "Le bilan porte l'identifiant d'un autre agent que celui qui l'a signé.", "The scorecard names another agent than the one that signed it.")
	}
	return &Checked{Agent: agent, Body: body, payload: payload, b64: env.Payload, doc: doc}, nil
}

// Saved is what Save did.
type Saved struct {
	Outcome store.Outcome // Stored, Duplicate or History
	// SendInventory: stored naming an inventory the hub does not hold.
	SendInventory bool
}

// Save stores a checked scorecard: the inventory it carries, then the
// store's decision, atomic with the write. late is import's: a scorecard
// older than its agent's latest is kept as history (store.Scorecard.Late)
// instead of refused as a replay. Errors: *Refusal (revoked or unknown
// meanwhile, replayed), else storage.
func (c *Core) Save(ctx context.Context, ch *Checked, late bool) (Saved, error) {
	sc := ch.Summary()
	rec := Record(sc, ch.Body, c.now())
	rec.Payload, rec.PayloadBase64, rec.Late = ch.payload, ch.b64, late
	if err := c.attachInventory(ctx, rec, ch.doc, ch.payload); err != nil {
		return Saved{}, err
	}
	out, err := c.store.SaveScorecard(ctx, rec)
	switch {
	case errors.Is(err, store.ErrRevoked):
		return Saved{}, refuseRevoked()
	case errors.Is(err, store.ErrNotFound):
		return Saved{}, refuseUnknownAgent()
	case err != nil:
		return Saved{}, err
	case out == store.Replayed:
		c.log.Warn("ingest: replayed sequence", "agent", sc.AgentID, "seq", sc.Sequence)
		return Saved{Outcome: out}, refuseReplayed(sc.Sequence)
	case out == store.Stored:
		c.log.Debug("scorecard stored", "agent", sc.AgentID, "id", sc.ID, "seq", sc.Sequence)
		if c.stored != nil {
			c.stored(sc.AgentID)
		}
	}
	return Saved{Outcome: out, SendInventory: rec.InventoryMissing}, nil
}
