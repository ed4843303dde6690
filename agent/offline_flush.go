package agent

import (
	"errors"
	"path/filepath"
	"time"
)

// offlineDir is where this agent writes its scorecards instead of
// uploading them: Options.OfflineDir (vigie scan --offline-out), else
// [hub] offline_dir in offline mode; empty online.
func (a *Agent) offlineDir() string {
	if a.opt.OfflineDir != "" {
		return a.opt.OfflineDir
	}
	if a.cfg.Offline() {
		return a.cfg.Hub.OfflineDir
	}
	return ""
}

// offlineSender writes each scorecard to dir, encrypted to the hub. A
// failure stops the pass (the next files would meet the same stick) and
// sets the next attempt MaxWait later: a stick plugged in is written to
// within minutes, with no growing backoff.
//
// Writing to the stick is no acknowledgement of the inventory: nothing
// tells the agent whether the hub got the stick, so every offline scorecard
// carries the full inventory until one reaches the hub online.
func (a *Agent) offlineSender(st *State, dir string, res *FlushResult) (func([]byte, uint64) (bool, bool), error) {
	r, err := offlineRecipient(st)
	if err != nil {
		return nil, err
	}
	id := a.AgentID()
	cleanOfflineTemps(a.ofs, dir, id)
	return func(data []byte, seq uint64) (stop, delivered bool) {
		path, err := writeOffline(a.ofs, dir, id, seq, data, r)
		if err != nil {
			res.Err = err
			a.notBefore = a.opt.Clock.Now().Add(a.opt.MaxWait)
			res.RetryAt = a.notBefore
			a.logOffline(err)
			return true, false
		}
		a.attempt, a.notBefore, a.offlineErr = 0, time.Time{}, ""
		res.Delivered++
		a.log.Info("bilan écrit, chiffré pour le hub, dans le dossier hors ligne", "sequence", seq, "file", filepath.Base(path), "dir", dir)
		return false, true
	}, nil
}

// logOffline logs a failed offline write: loudly the first time, then at
// debug level while the same failure repeats (a stick left out all week
// must not fill the log with a line every few minutes).
func (a *Agent) logOffline(err error) {
	msg := err.Error()
	var oe *OfflineError
	if errors.As(err, &oe) {
		msg = oe.Error()
	}
	if msg == a.offlineErr {
		a.log.Debug("bilans toujours en attente du dossier hors ligne", "err", msg)
		return
	}
	a.offlineErr = msg
	a.log.Error("bilan non écrit dans le dossier hors ligne, gardé dans la file d'envoi", "err", msg)
}

// announceOffline says at start-up where an offline agent writes, and what
// it lacks to do so.
func (a *Agent) announceOffline(st *State) {
	dir := a.offlineDir()
	if dir == "" {
		return
	}
	a.log.Info("mode hors réseau : bilans chiffrés pour le hub écrits dans le dossier, aucune connexion au hub", "dir", dir)
	if !st.Enrolled() {
		a.log.Warn("agent non inscrit : bilans gardés dans la file ; inscription hors réseau : vigie enroll --request-out DEMANDE --token JETON")
	} else if _, err := offlineRecipient(st); err != nil {
		a.log.Error("bilans gardés dans la file", "err", err)
	}
}
