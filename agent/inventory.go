package agent

import (
	"time"

	"github.com/vigie-cyber/vigie/protocol"
)

// The software inventory is most of a scorecard's size (a Debian server:
// 800 packages, 100 KB; a workstation with its per-user installs: more),
// and it rarely changes. So a scorecard carries it in full only when the
// hub may not have it: it changed since the last full inventory the hub
// acknowledged, that one is InventoryRefresh old, or the hub asked for it
// (IngestResponse.SendInventory). Otherwise only software_sha256 names it.
// A full inventory spooled but not yet delivered is not acknowledged: the
// scans that follow send it in full again until one is.

// FullDue reports whether a scorecard whose inventory is sha, collected at
// now, must carry it in full.
func (s InventoryState) FullDue(sha string, now time.Time) bool {
	return s.Requested || s.SHA256 != sha || now.Sub(s.At) >= protocol.InventoryRefresh || now.Before(s.At)
}

// acknowledge records the hub's reply to the delivery of scorecard seq.
func (s *InventoryState) acknowledge(seq uint64, reply protocol.IngestResponse) {
	if reply.SendInventory {
		// The hub does not hold the inventory this scorecard named, even
		// if it carried it in full: send it again next time.
		s.Requested = true
		return
	}
	if seq != 0 && seq == s.PendingSequence {
		s.SHA256, s.At = s.PendingSHA256, s.PendingAt
		s.PendingSequence, s.PendingSHA256, s.PendingAt = 0, "", time.Time{}
		s.Requested = false
	}
}

// delivery is one scorecard the hub took, with its reply.
type delivery struct {
	seq   uint64
	reply protocol.IngestResponse
}

// trimInventory leaves the full inventory out of sc unless it is due, and
// reports whether sc carries it.
func trimInventory(sc *protocol.Scorecard, st *State, now time.Time) (full bool) {
	if sc.SoftwareSHA256 == "" {
		return false // not collected: nothing to send, nothing to name
	}
	if !st.Inventory.FullDue(sc.SoftwareSHA256, now) {
		sc.Software = nil
		return false
	}
	return true
}
