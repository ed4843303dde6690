package protocol

import (
	"fmt"
	"strconv"
	"strings"
)

// Offline sites (docs/protocol.md, "Offline files"): a host that cannot
// reach its hub writes each signed scorecard to a folder (a USB stick)
// instead of uploading it. The file is the exact body the agent would have
// POSTed to PathScorecards (the DSSE envelope), encrypted with age to the
// hub's HubKeys.AgeRecipient, so a lost stick leaks nothing. The hub's
// import applies the checks of the upload API to what it decrypts; the
// file name is only a hint for ordering and reports, never trusted.

// OfflineScorecardSuffix ends every offline scorecard file name.
const OfflineScorecardSuffix = ".scorecard.age"

// MaxOfflineFile bounds an offline file: an envelope plus age's overhead
// (a header and 16 bytes per 64 KiB chunk).
const MaxOfflineFile = MaxEnvelopeSize + MaxEnvelopeSize/4096 + 4096

// OfflineScorecardName is the file name of agentID's scorecard number seq:
// zero-padded so that a plain listing sorts an agent's files in order.
func OfflineScorecardName(agentID string, seq uint64) string {
	return fmt.Sprintf("vigie-%s-%020d%s", agentID, seq, OfflineScorecardSuffix)
}

// ParseOfflineScorecardName reads back what OfflineScorecardName wrote.
func ParseOfflineScorecardName(name string) (agentID string, seq uint64, ok bool) {
	rest, ok := strings.CutPrefix(name, "vigie-")
	if !ok {
		return "", 0, false
	}
	rest, ok = strings.CutSuffix(rest, OfflineScorecardSuffix)
	if !ok {
		return "", 0, false
	}
	i := strings.LastIndexByte(rest, '-')
	if i < 0 {
		return "", 0, false
	}
	agentID = rest[:i]
	seq, err := strconv.ParseUint(rest[i+1:], 10, 64)
	if err != nil || !ValidAgentID(agentID) {
		return "", 0, false
	}
	return agentID, seq, true
}
