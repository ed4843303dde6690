package protocol

import (
	"bytes"
	"encoding/base64"
	"strings"
)

// A store may keep an envelope with its payload in clear (it compresses
// far better than its base64) and put the envelope back byte for byte when
// reading it (hub/store/compress.go). PayloadOffset and AppendPayload let it
// cut the envelope around the payload and splice it back without knowing
// how an envelope encodes its payload: that stays here, with Verify.

// PayloadOffset returns where encoded, an envelope's Payload field as
// ParseEnvelope read it, sits verbatim in raw, the envelope's bytes, such
// that AppendPayload(raw[:i], payload) followed by raw[i+len(encoded):]
// gives raw back. payload is what Verify or OpenUnverified decoded from
// encoded (strictly). It returns -1 when that cannot be promised: payload
// not given, encoded not in its one canonical form (padded standard base64
// without line breaks, which the decoder skips, so of the length
// EncodedPayloadLen(len(payload))), or not found verbatim in raw (escaped
// in the JSON).
func PayloadOffset(raw []byte, encoded string, payload []byte) int {
	if payload == nil || encoded == "" || len(encoded) != EncodedPayloadLen(len(payload)) ||
		strings.IndexByte(encoded, '\n') >= 0 || strings.IndexByte(encoded, '\r') >= 0 { // IndexByte is vectorised, ContainsAny is not (15 µs)
		return -1
	}
	// The padding says how many bytes the last group holds: with the
	// length, the exact decoded length, so a payload one or two bytes off
	// (which the length alone may not show) is refused.
	pad := 2 - len(strings.TrimRight(encoded[len(encoded)-2:], "="))
	if pad != (3-len(payload)%3)%3 {
		return -1
	}
	// Search for its first 32 characters (a conversion that short needs no
	// allocation), then compare the whole.
	head := []byte(encoded[:min(32, len(encoded))])
	for from := 0; ; {
		i := bytes.Index(raw[from:], head)
		if i < 0 {
			return -1
		}
		at := from + i
		if len(raw)-at >= len(encoded) && string(raw[at:at+len(encoded)]) == encoded {
			return at
		}
		from = at + 1
	}
}

// AppendPayload appends payload to dst as an envelope carries it (padded
// standard base64): the bytes PayloadOffset cut out of an envelope.
func AppendPayload(dst, payload []byte) []byte {
	return base64.StdEncoding.AppendEncode(dst, payload)
}

// EncodedPayloadLen is the length of a payload of n bytes as an envelope
// carries it.
func EncodedPayloadLen(n int) int { return base64.StdEncoding.EncodedLen(n) }
