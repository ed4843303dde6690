package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/vigie-cyber/vigie/protocol"
)

// Offline delivery (docs/protocol.md, "Offline files"): on a site off the
// network, each signed scorecard is written to a folder (a USB stick)
// instead of being uploaded, encrypted with age to the hub's recipient, so
// a lost stick shows only file names (agent ID and sequence number).
//
// The spool rules hold: a scorecard leaves the spool only once its file is
// whole on the stick, written to a temporary name, synced, renamed to its
// final name and the folder synced. A stick missing, read-only or full
// keeps it in the spool; the next pass writes what is waiting, in sequence
// order. The same sequence always gets the same name, so writing twice
// replaces the file instead of adding a second one.

// OfflineErrorKind says why a write to the offline folder failed.
type OfflineErrorKind int

const (
	OfflineOther    OfflineErrorKind = iota
	OfflineMissing                   // folder absent: stick not plugged in, or pulled out
	OfflineReadOnly                  // write-protected or not writable
	OfflineFull                      // no space left
)

// OfflineError is a write to the offline folder that failed; its message,
// in French, says what to do. The scorecard stays in the spool.
type OfflineError struct {
	Dir  string
	Kind OfflineErrorKind
	Err  error
}

func (e *OfflineError) Error() string {
	switch e.Kind {
	case OfflineMissing:
		return fmt.Sprintf("dossier hors ligne %s introuvable (clé USB absente, non montée ou retirée pendant l'écriture ?) : "+
			"bilan gardé dans la file, il sera écrit quand le dossier sera de nouveau là (%v)", e.Dir, e.Err)
	case OfflineReadOnly:
		return fmt.Sprintf("dossier hors ligne %s non inscriptible (clé USB protégée en écriture ?) : bilan gardé dans la file (%v)", e.Dir, e.Err)
	case OfflineFull:
		return fmt.Sprintf("plus de place dans %s (clé USB pleine) : bilan gardé dans la file ; "+
			"portez les fichiers au hub (vigie-hub import) puis videz la clé (%v)", e.Dir, e.Err)
	}
	return fmt.Sprintf("écriture dans le dossier hors ligne %s impossible : bilan gardé dans la file (%v)", e.Dir, e.Err)
}

func (e *OfflineError) Unwrap() error { return e.Err }

// ErrNoHubKeysOffline: offline mode needs the hub's age recipient, which
// the agent learns at enrolment.
var ErrNoHubKeysOffline = errors.New("clés du hub inconnues de cet agent : impossible de chiffrer les bilans hors ligne ; " +
	"inscrivez-le hors ligne (vigie enroll --request-out DEMANDE, puis vigie enroll --response RÉPONSE : la réponse du hub porte ses clés), " +
	"ou, s'il peut joindre le hub une fois, réinscrivez-le en ligne (vigie enroll)")

// offlineFS is the file system of offline writes: the real one, or in
// tests one that fails at a chosen step (a stick pulled out mid-write).
type offlineFS interface {
	Stat(name string) (fs.FileInfo, error)
	CreateTemp(dir, pattern string) (spoolFile, error)
	Rename(oldpath, newpath string) error
	Remove(name string) error
	ReadDir(name string) ([]fs.DirEntry, error)
	SyncDir(dir string) error
}

type osFS struct{}

func (osFS) Stat(name string) (fs.FileInfo, error)             { return os.Stat(name) }
func (osFS) Rename(oldpath, newpath string) error              { return os.Rename(oldpath, newpath) }
func (osFS) Remove(name string) error                          { return os.Remove(name) }
func (osFS) ReadDir(name string) ([]fs.DirEntry, error)        { return os.ReadDir(name) }
func (osFS) SyncDir(dir string) error                          { return syncDir(dir) }
func (osFS) CreateTemp(dir, pattern string) (spoolFile, error) { return os.CreateTemp(dir, pattern) }

// offlineTmpPrefix starts the temporary name of agentID's files: a partial
// file never carries a final name, and a later pass of the same agent
// removes what a pulled-out stick left (several hosts may share a stick:
// each removes only its own).
func offlineTmpPrefix(agentID string) string { return ".vigie-tmp-" + agentID + "-" }

// writeOffline writes envelope, agentID's scorecard seq, encrypted to r,
// into dir under protocol.OfflineScorecardName. It returns the final path,
// or an *OfflineError after removing its temporary file (best effort: the
// stick may be gone).
func writeOffline(fsys offlineFS, dir, agentID string, seq uint64, envelope []byte, r age.Recipient) (string, error) {
	fail := func(err error) (string, error) {
		return "", &OfflineError{Dir: dir, Kind: classifyOffline(err), Err: err}
	}
	info, err := fsys.Stat(dir)
	if err != nil {
		return fail(err)
	}
	if !info.IsDir() {
		return "", &OfflineError{Dir: dir, Kind: OfflineOther, Err: errors.New("ce n'est pas un dossier")}
	}
	name := protocol.OfflineScorecardName(agentID, seq)
	f, err := fsys.CreateTemp(dir, offlineTmpPrefix(agentID)+fmt.Sprint(seq)+"-*")
	if err != nil {
		return fail(err)
	}
	tmp := f.Name()
	abandon := func(err error) (string, error) {
		f.Close()
		fsys.Remove(tmp)
		return fail(err)
	}
	w, err := age.Encrypt(f, r)
	if err != nil {
		return abandon(err)
	}
	if _, err := w.Write(envelope); err != nil {
		return abandon(err)
	}
	if err := w.Close(); err != nil {
		return abandon(err)
	}
	if err := f.Sync(); err != nil {
		return abandon(err)
	}
	if err := f.Close(); err != nil {
		fsys.Remove(tmp)
		return fail(err)
	}
	final := filepath.Join(dir, name)
	if err := fsys.Rename(tmp, final); err != nil {
		fsys.Remove(tmp)
		return fail(err)
	}
	// Without the folder synced, a stick pulled out now may lose the
	// rename: the scorecard stays spooled and the next pass writes it
	// again under the same name.
	if err := fsys.SyncDir(dir); err != nil {
		return fail(err)
	}
	return final, nil
}

// cleanOfflineTemps removes the temporary files agentID left in dir (a
// stick pulled out mid-write). Best effort.
func cleanOfflineTemps(fsys offlineFS, dir, agentID string) {
	entries, err := fsys.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() && strings.HasPrefix(e.Name(), offlineTmpPrefix(agentID)) {
			fsys.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// offlineRecipient is the hub's age recipient from the state.
func offlineRecipient(st *State) (age.Recipient, error) {
	if st.HubKeys.AgeRecipient == "" {
		return nil, ErrNoHubKeysOffline
	}
	_, r, err := st.HubKeys.Parse()
	if err != nil {
		return nil, fmt.Errorf("clés du hub illisibles dans l'état de l'agent (%w) : réinscrivez-le (vigie enroll)", err)
	}
	return r, nil
}
