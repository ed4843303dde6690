package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigie-cyber/vigie/protocol"
	"github.com/vigie-cyber/vigie/report"
)

// Delivery: spooled scorecards sent in sequence order, the hub's replies
// acted on as docs/protocol.md says (deliver, quarantine, suspend, retry).

// FlushResult summarises one delivery pass.
type FlushResult struct {
	// Quarantined counts files the hub refused; Unreadable files the agent
	// found corrupt in its own spool (never sent, not the hub's doing).
	Delivered, Quarantined, Unreadable, Remaining int
	Blocked                                       string // why uploads are stopped, if they are
	// OfflineDir is the folder written to in offline mode (empty online):
	// Delivered then counts files written there.
	OfflineDir string
	RetryAt    time.Time // next attempt after a retryable failure
	Err        error     // last failure
}

// Flush delivers what is spooled, oldest first, unless in backoff.
func (a *Agent) Flush(ctx context.Context) FlushResult {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.flushLocked(ctx, nil)
}

// flushLocked delivers spooled scorecards in sequence order. After a scan
// (scanned not nil) it ignores the backoff, a fresh scan being worth one
// attempt, and records the scan in the state.
func (a *Agent) flushLocked(ctx context.Context, scanned *protocol.Scorecard) (res FlushResult) {
	force := scanned != nil
	now := a.opt.Clock.Now()
	var acks []delivery // the hub's replies, recorded in the state
	a.spoolOrKeep(pendingCard{})
	st, err := LoadState(a.cfg.StateDir)
	if err != nil {
		res.Err = err
		return res
	}
	a.followKey(st)
	revoked := false
	defer func() {
		if revoked {
			// Protocol v2: a revoked key stays revoked. What it signed is
			// not sent again (the key may be stolen): quarantined, and the
			// next enrolment makes a new key.
			n := a.spool.QuarantineAll("clé de l'agent révoquée par le hub")
			n += len(a.pending)
			a.pending = nil
			a.log.Warn("bilans signés par la clé révoquée mis en quarantaine", "count", n)
		}
	}()
	defer func() {
		files, _, _ := a.spool.Stats()
		res.Remaining = files + len(a.pending)
		if scanned == nil && res.Delivered+res.Quarantined+res.Unreadable == 0 && res.Err == nil {
			return
		}
		_, err := UpdateState(a.cfg.StateDir, func(s *State) error {
			for _, d := range acks {
				s.Inventory.acknowledge(d.seq, d.reply)
			}
			if scanned != nil {
				s.LastScan, s.LastScore, s.LastLevel, s.LastScanError = a.opt.Clock.Now().UTC(), scanned.Score, int(scanned.Level), ""
				s.Record(report.ScorePoint{At: scanned.FinishedAt, Score: scanned.Score, Level: scanned.Level})
			}
			if scanned != nil && res.Delivered+res.Quarantined+res.Unreadable == 0 && res.Err == nil {
				return nil // nothing sent (not enrolled, or blocked)
			}
			s.LastUpload = a.opt.Clock.Now().UTC()
			if res.Delivered > 0 {
				s.LastDelivered = s.LastUpload
			}
			s.LastUploadResult = summarise(res)
			if res.Blocked != "" && st.Enrolled() {
				s.Blocked = res.Blocked
			}
			if revoked {
				s.KeyRevoked = true
			}
			return nil
		})
		if err != nil {
			a.log.Error("état non enregistré", "err", err)
		}
	}()
	if !st.Enrolled() {
		res.Blocked = "agent non inscrit (vigie enroll)"
		return res
	}
	if st.Blocked != "" {
		res.Blocked = st.Blocked
		return res
	}
	if !force && now.Before(a.notBefore) {
		res.RetryAt = a.notBefore
		return res
	}
	var send func(data []byte, seq uint64) (stop bool, delivered bool)
	if dir := a.offlineDir(); dir != "" {
		// Offline mode: files on a stick, never a network connection.
		res.OfflineDir = dir
		if send, err = a.offlineSender(st, dir, &res); err != nil {
			res.Err = err
			a.logOffline(err)
			return res
		}
	} else if send, err = a.onlineSender(ctx, st, &res, &acks, &revoked); err != nil {
		res.Err = err
		return res
	}
	items, err := a.spool.List()
	if err != nil {
		res.Err = err
		return res
	}
	for _, it := range items {
		if ctx.Err() != nil {
			return res
		}
		data, seq, err := a.spool.Read(it)
		if err != nil {
			if errors.Is(err, ErrCorrupt) {
				res.Unreadable++
			}
			continue
		}
		stop, delivered := send(data, seq)
		if delivered {
			if err := a.spool.Delete(it); err != nil {
				a.log.Error("bilan livré mais non supprimé de la file (il sera renvoyé, sans effet côté hub)", "file", it.Name, "err", err)
			}
		} else if !stop && res.Err != nil {
			a.spool.Quarantine(it, res.Err.Error())
		}
		if stop {
			return res
		}
	}
	// Scorecards the disk could not hold go straight from memory, after
	// every older one on disk.
	for len(a.pending) > 0 {
		p := a.pending[0]
		stop, delivered := send(p.data, p.seq)
		if delivered || !stop {
			a.pending = a.pending[1:]
		}
		if stop {
			return res
		}
	}
	return res
}

// summarise is the state's last_upload_result, shown by `vigie status`: it
// tells the hub's refusals from the local files found unreadable, which the
// hub never saw.
func summarise(r FlushResult) string {
	var s string
	switch {
	case r.Blocked != "":
		return "suspendu : " + r.Blocked
	case r.Err != nil && r.Delivered == 0 && r.Quarantined == 0:
		s = "échec : " + r.Err.Error()
	case r.OfflineDir != "":
		s = fmt.Sprintf("%d bilan(s) écrit(s) dans %s", r.Delivered, r.OfflineDir)
		if r.Err != nil {
			s += " ; " + r.Err.Error()
		}
	default:
		s = fmt.Sprintf("%d livré(s)", r.Delivered)
		if r.Quarantined > 0 {
			s += fmt.Sprintf(", %d refusé(s) par le hub et mis en quarantaine", r.Quarantined)
		}
	}
	if r.Unreadable > 0 {
		s += fmt.Sprintf(" ; %d fichier(s) de la file locale illisible(s), mis de côté sans être envoyé(s)", r.Unreadable)
	}
	return s
}

func (a *Agent) uploaderFor(st *State) (*Uploader, error) {
	key := st.HubURL + "|" + st.HubSPKI + "|" + st.AgentID
	if a.uploader != nil && a.upFor == key {
		return a.uploader, nil
	}
	if a.uploader != nil {
		a.uploader.Close()
	}
	up, err := NewUploader(st, a.cfg.Hub.Proxy, a.opt.UploadTimeout)
	if err != nil {
		return nil, err
	}
	up.now = a.opt.Clock.Now
	a.uploader, a.upFor = up, key
	return up, nil
}

// onlineSender posts to the hub over the pinned connection and acts on
// its replies (docs/protocol.md).
func (a *Agent) onlineSender(ctx context.Context, st *State, res *FlushResult, acks *[]delivery, revoked *bool) (func([]byte, uint64) (bool, bool), error) {
	up, err := a.uploaderFor(st)
	if err != nil {
		return nil, err
	}
	return func(data []byte, seq uint64) (stop bool, delivered bool) {
		out, retryAfter, reply, err := up.SendReply(ctx, data)
		switch out {
		case Delivered:
			a.attempt, a.notBefore = 0, time.Time{}
			res.Delivered++
			*acks = append(*acks, delivery{seq, reply})
			if reply.SendInventory {
				a.log.Info("le hub demande l'inventaire logiciel complet : il sera joint au prochain bilan", "sequence", seq)
			}
			a.log.Info("bilan livré au hub", "sequence", seq)
			return false, true
		case Rejected:
			res.Quarantined++
			res.Err = err
			// Kept in the spool's quarantine when it came from disk;
			// vigie status counts them.
			a.log.Error("bilan refusé par le hub, il ne sera pas renvoyé ; les suivants continuent", "sequence", seq, "err", err)
			return false, false
		case Blocked:
			res.Blocked = err.Error()
			res.Err = err
			if errors.Is(err, protocol.ErrAgentRevoked) {
				*revoked = true
				a.log.Error("le hub a révoqué la clé de cet agent : envois suspendus ; les bilans en attente, signés par une clé peut-être volée, sont mis en quarantaine ; "+
					"vigie enroll créera une nouvelle clé", "err", err)
				return true, false
			}
			a.log.Error("le hub refuse cet agent (inconnu) : envois suspendus, bilans conservés ; réinscrivez l'agent avec vigie enroll", "err", err)
			return true, false
		}
		res.Err = err
		if ctx.Err() != nil {
			return true, false
		}
		d := a.back.Delay(a.attempt, retryAfter)
		a.attempt++
		a.notBefore = a.opt.Clock.Now().Add(d)
		res.RetryAt = a.notBefore
		a.log.Warn("envoi au hub impossible, nouvel essai plus tard", "sequence", seq, "err", err, "retry_in", d.Round(time.Second), "attempt", a.attempt)
		return true, false
	}, nil
}
