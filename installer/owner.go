package installer

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"time"
)

// trustedOwners are the owners a folder holding Vigie's key and
// configuration may have: on Windows SYSTEM, the Administrators group and
// TrustedInstaller (by SID, whatever the display language), on Unix root.
var trustedOwners = map[string]string{
	"S-1-5-18":     "SYSTEM",
	"S-1-5-32-544": "Administrateurs / Administrators",
	"S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464": "TrustedInstaller",
	"uid:0": "root",
}

// ownerFunc returns the owner of a path: a SID on Windows, "uid:N" on Unix.
type ownerFunc func(path string) (string, error)

// secureFolder makes sure dir, when it exists, belongs to a trusted owner.
// A standard user can create C:\ProgramData\Vigie before the installation
// and plant a key or a configuration (a hub of their choosing) there;
// resetting the ACL would not change the owner, who can change the ACL
// back. Such a folder is moved aside, whole, so nothing in it is reused
// and an administrator can still look at it; the installation then starts
// from an empty folder. It returns where the folder went ("" if kept).
//
// self is the elevated administrator running the installation ("" when
// not elevated or on Unix): a folder that administrator created is theirs
// to reuse (Windows makes the creator the owner when "Default owner for
// objects created by members of the Administrators group" says so, and
// Wine always does: re-installing under Wine needs it).
func secureFolder(dir string, owner ownerFunc, self string, now time.Time, log *slog.Logger) (string, error) {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("dossier %s : %w", dir, err)
	}
	o, err := owner(dir)
	if err != nil {
		return "", fmt.Errorf("propriétaire de %s illisible : %w", dir, err)
	}
	if _, ok := trustedOwners[o]; ok || (self != "" && o == self) {
		return "", nil
	}
	aside := fmt.Sprintf("%s.suspect-%s", dir, now.UTC().Format("20060102T150405Z"))
	if err := os.Rename(dir, aside); err != nil {
		return "", fmt.Errorf("%s appartient à %s (ni SYSTEM ni Administrateurs) et n'a pas pu être mis de côté : %w ; supprimez-le puis relancez l'installation", dir, o, err)
	}
	log.Warn("dossier existant d'un autre propriétaire mis de côté : sa clé et sa configuration ne sont pas reprises", "dossier", dir, "proprietaire", o, "deplace_vers", aside)
	return aside, nil
}
