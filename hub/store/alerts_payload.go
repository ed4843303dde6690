package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"

	"github.com/klauspost/compress/s2"

	"github.com/vigie-cyber/vigie/protocol"
)

// The event detector reads stored scorecards for their results only
// (which checks passed, and what a new agent version says of a check). It
// needs their signed payload, the scorecard JSON, not the envelope: the
// envelope would be rebuilt by encoding the payload back into base64
// (expandEnvelope), to be parsed and decoded again at once. Most stored
// scorecards keep their payload in clear (compress.go), so it is returned
// as it is; the others are opened from their envelope. The hub verified
// these very bytes on receipt: nothing is verified here.

// payloadChunk bounds the keys of one query (SQLite allows 32,766
// parameters, PostgreSQL 65,535).
const payloadChunk = 500

// ScorecardPayloads returns the payloads of the stored scorecards with the
// given commit-order keys (IngestRow.Key), read in as few queries as the
// chunk size allows. A key with no scorecard, or whose stored form cannot
// be read, is absent from the map (ScorecardPayload says why).
func (s *sqlStore) ScorecardPayloads(ctx context.Context, keys []int64) (map[int64][]byte, error) {
	out := make(map[int64][]byte, len(keys))
	k := s.ingestKey()
	for len(keys) > 0 {
		n := min(len(keys), payloadChunk)
		args := make([]any, n)
		for i, key := range keys[:n] {
			args[i] = key
		}
		q := `SELECT ` + k + `, envelope FROM scorecards WHERE ` + k + ` IN (?` + strings.Repeat(", ?", n-1) + `)`
		rows, err := s.db.QueryContext(ctx, s.q(q), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var key int64
			var stored []byte
			if err := rows.Scan(&key, &stored); err != nil {
				rows.Close()
				return nil, err
			}
			if p, err := storedPayload(stored); err == nil {
				out[key] = p
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		keys = keys[n:]
	}
	return out, nil
}

// ScorecardPayload returns the payload of one stored scorecard.
func (s *sqlStore) ScorecardPayload(ctx context.Context, agentID, id string) ([]byte, error) {
	var stored []byte
	err := s.db.QueryRowContext(ctx, s.q(`SELECT envelope FROM scorecards WHERE agent_id = ? AND id = ?`), agentID, id).Scan(&stored)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	p, err := storedPayload(stored)
	if err != nil {
		return nil, fmt.Errorf("scorecard %s of agent %s: %w", id, agentID, err)
	}
	return p, nil
}

// storedPayload returns the payload of a stored envelope (compress.go's
// forms): the clear part of the current form, else the payload of the
// envelope expandEnvelope gives back.
func storedPayload(stored []byte) ([]byte, error) {
	if bytes.HasPrefix(stored, storedMagic) {
		content, nBefore, nPayload, err := unpackContent(stored[len(storedMagic):])
		if err != nil {
			return nil, err
		}
		if nPayload > 0 {
			return content[nBefore : nBefore+nPayload], nil
		}
		return openEnvelope(content) // kept whole
	}
	env, err := expandEnvelope(stored)
	if err != nil {
		return nil, err
	}
	return openEnvelope(env)
}

func openEnvelope(env []byte) ([]byte, error) {
	e, err := protocol.ParseEnvelope(env)
	if err != nil {
		return nil, err
	}
	return protocol.OpenUnverified(e, protocol.PayloadType)
}

// unpackContent decompresses the current stored form (after its magic)
// into before | payload | after, with the checks of unpackEnvelope, which
// this mirrors (TestStoredPayload reads every form both ways).
func unpackContent(b []byte) (content []byte, nBefore, nPayload int, err error) {
	before, k := binary.Uvarint(b)
	if k <= 0 {
		return nil, 0, 0, errCorrupted
	}
	b = b[k:]
	payload, k := binary.Uvarint(b)
	if k <= 0 || len(b) < k+4 {
		return nil, 0, 0, errCorrupted
	}
	sum, block := binary.LittleEndian.Uint32(b[k:]), b[k+4:]
	n, err := s2.DecodedLen(block)
	if err != nil || n > maxStoredEnvelope || before > uint64(n) || payload > uint64(n)-before {
		return nil, 0, 0, errCorrupted
	}
	content, err = s2.Decode(make([]byte, n), block)
	if err != nil || crc32.Checksum(content, castagnoli) != sum {
		return nil, 0, 0, errCorrupted
	}
	return content, int(before), int(payload), nil
}
