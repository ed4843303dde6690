package store

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Envelopes are stored compressed with zstd at its fastest level. A signed
// scorecard is JSON inside base64 inside JSON and shrinks six- to
// sevenfold: a region's 200,000 scorecards of Debian servers (about 95 KB
// each with their software inventory) take 3 GB instead of 19, and the
// single SQLite writer copies a sixth of the bytes into its WAL. The
// compression runs in the uploading request's goroutine, in parallel,
// before the group commit; decompression (2 GB/s) only when a page or an
// export reads an envelope.
//
// Rows written before compression hold the raw JSON; the zstd frame's magic
// number tells the two apart (JSON cannot start with byte 0x28 0xB5).
var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// maxStoredEnvelope bounds decompression: no envelope is accepted above
// report.MaxEnvelopeSize (1 MiB); a corrupted row cannot make the hub
// allocate more than this.
const maxStoredEnvelope = 4 << 20

var (
	zonce sync.Once
	zenc  *zstd.Encoder
	zdec  *zstd.Decoder
)

func zstdCodecs() (*zstd.Encoder, *zstd.Decoder) {
	zonce.Do(func() {
		var err error
		// EncodeAll and DecodeAll are safe for concurrent use; each call
		// runs on its own goroutine's pooled state.
		zenc, err = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(true))
		if err != nil {
			panic(err) // only invalid options fail
		}
		zdec, err = zstd.NewReader(nil, zstd.WithDecoderMaxMemory(maxStoredEnvelope), zstd.WithDecoderConcurrency(0))
		if err != nil {
			panic(err)
		}
	})
	return zenc, zdec
}

// compressEnvelope returns the stored form of an envelope.
func compressEnvelope(env []byte) []byte {
	enc, _ := zstdCodecs()
	return enc.EncodeAll(env, make([]byte, 0, len(env)/4))
}

// expandEnvelope returns the envelope exactly as received from its stored
// form, compressed or (older rows) raw.
func expandEnvelope(stored []byte) ([]byte, error) {
	if !bytes.HasPrefix(stored, zstdMagic) {
		return stored, nil
	}
	_, dec := zstdCodecs()
	env, err := dec.DecodeAll(stored, nil)
	if err != nil {
		return nil, fmt.Errorf("stored envelope unreadable (corrupted compressed data): %w", err)
	}
	return env, nil
}
