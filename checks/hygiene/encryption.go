package hygiene

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/winps"
	"github.com/vigie-cyber/vigie/protocol"
)

// encryptionCheck: the system disk is encrypted (LUKS on Linux, BitLocker
// on Windows), so that a stolen laptop or a discarded disk does not hand over
// the entity's data (ANSSI 31; CIS 3.6; NIS2 21(2)(h)).
type encryptionCheck struct{}

func (encryptionCheck) Meta() checks.Meta {
	return meta("hygiene.disk-encryption", protocol.Medium, protocol.Refs{ANSSI: []int{31}, CIS: []string{"3.6"}, NIS2: []string{"h"}})
}

type blockDev struct {
	Name     string     `json:"name"`
	Type     string     `json:"type"`
	FSType   *string    `json:"fstype"`
	Mount    *string    `json:"mountpoint"`
	Children []blockDev `json:"children"`
}

// luksState is what lsblk shows about encryption.
type luksState struct {
	LUKS       []string // devices formatted crypto_LUKS
	RootCrypt  bool     // "/" sits on a crypt mapping
	RootFound  bool
	RootDevice string
}

// parseLsblkCrypt reads `lsblk -J -o NAME,TYPE,FSTYPE,MOUNTPOINT`.
func parseLsblkCrypt(b []byte) (luksState, error) {
	var doc struct {
		Devices []blockDev `json:"blockdevices"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return luksState{}, fmt.Errorf("parse lsblk: %w", err)
	}
	var st luksState
	var visit func(d blockDev, crypt bool)
	visit = func(d blockDev, crypt bool) {
		if d.FSType != nil && *d.FSType == "crypto_LUKS" {
			st.LUKS = append(st.LUKS, d.Name)
		}
		crypt = crypt || d.Type == "crypt"
		if d.Mount != nil && *d.Mount == "/" {
			st.RootFound, st.RootCrypt, st.RootDevice = true, crypt, d.Name
		}
		for _, c := range d.Children {
			visit(c, crypt)
		}
	}
	for _, d := range doc.Devices {
		visit(d, false)
	}
	return st, nil
}

func judgeLUKS(st luksState) protocol.Result {
	facts := map[string]any{"luks_devices": len(st.LUKS), "root_encrypted": st.RootCrypt}
	switch {
	case st.RootCrypt:
		return checks.Passed(protocol.Textf("le système (/) est chiffré par LUKS (%s)", "the system (/) is LUKS-encrypted (%s)", strings.Join(st.LUKS, ", ")), facts)
	case len(st.LUKS) > 0:
		return checks.Warned(protocol.Textf("volumes LUKS (%s) mais le système (/) n'est pas chiffré (%s)",
			"LUKS volumes (%s) but the system (/) is not encrypted (%s)", strings.Join(st.LUKS, ", "), st.RootDevice), facts)
	case !st.RootFound:
		return checks.Skipped(protocol.Text{FR: "disque système introuvable (conteneur ?)", EN: "system disk not found (container?)"})
	}
	return checks.Warned(protocol.Textf("aucun disque chiffré (LUKS) ; système sur %s", "no encrypted disk (LUKS); system on %s", st.RootDevice), facts)
}

// bitlockerScript lists BitLocker volumes with numeric enums: VolumeType 0
// OperatingSystem, 1 FixedData, 2 Removable; ProtectionStatus 0 Off, 1 On,
// 2 Unknown (locked).
const bitlockerScript = `Get-BitLockerVolume | Select-Object MountPoint,VolumeType,ProtectionStatus,EncryptionPercentage`

type bitlockerVolume struct {
	MountPoint           string
	VolumeType           int
	ProtectionStatus     int
	EncryptionPercentage float64
}

// commandNotFound is the exception of a cmdlet that does not exist.
const commandNotFound = "System.Management.Automation.CommandNotFoundException"

func judgeBitLocker(vs []bitlockerVolume) protocol.Result {
	var osOn, osOff, dataOff []string
	for _, v := range vs {
		switch {
		case v.VolumeType == 0 && v.ProtectionStatus == 1:
			osOn = append(osOn, v.MountPoint)
		case v.VolumeType == 0:
			osOff = append(osOff, v.MountPoint)
		case v.VolumeType == 1 && v.ProtectionStatus != 1:
			dataOff = append(dataOff, v.MountPoint)
		}
	}
	facts := map[string]any{"volumes": len(vs), "os_protected": len(osOn) > 0, "data_unprotected": len(dataOff)}
	switch {
	case len(osOff) > 0:
		return checks.Failed(protocol.Textf("BitLocker n'est pas actif sur le volume système %s", "BitLocker is not on for the system volume %s", strings.Join(osOff, ", ")), facts)
	case len(osOn) == 0:
		return checks.Warned(protocol.Textf("aucun volume système BitLocker parmi %d volumes", "no BitLocker system volume among %d volumes", len(vs)), facts)
	case len(dataOff) > 0:
		return checks.Warned(protocol.Textf("système %s chiffré, mais pas les volumes de données %s", "system %s encrypted, but not the data volumes %s",
			strings.Join(osOn, ", "), strings.Join(dataOff, ", ")), facts)
	}
	return checks.Passed(protocol.Textf("BitLocker actif sur %s", "BitLocker on for %s", strings.Join(osOn, ", ")), facts)
}

func (encryptionCheck) Run(ctx context.Context, h *checks.Host) protocol.Result {
	switch h.OS {
	case "windows":
		vs, err := psNonEmpty[bitlockerVolume](ctx, h, bitlockerScript, "BitLocker volumes")
		var pe *winps.Error
		if errors.As(err, &pe) && pe.Type == commandNotFound {
			// Windows Server without the BitLocker feature: the cmdlet's
			// absence is what was read, and it means no BitLocker.
			return checks.Warned(protocol.Text{FR: "BitLocker n'est pas installé (commande Get-BitLockerVolume absente) : disques non chiffrés par BitLocker",
				EN: "BitLocker is not installed (no Get-BitLockerVolume command): disks not encrypted by BitLocker"}, map[string]any{"bitlocker_installed": false})
		}
		if err != nil {
			return winps.Errored(protocol.Text{FR: "état BitLocker illisible", EN: "BitLocker state unreadable"}, err)
		}
		return judgeBitLocker(vs)
	case "linux":
		out, err := h.Exec.Run(ctx, "lsblk", "-J", "-o", "NAME,TYPE,FSTYPE,MOUNTPOINT")
		if err != nil {
			return checks.Errored(protocol.Text{FR: "lsblk", EN: "lsblk"}, err)
		}
		st, err := parseLsblkCrypt(out)
		if err != nil {
			return checks.Errored(protocol.Text{FR: "sortie lsblk illisible", EN: "unreadable lsblk output"}, err)
		}
		return judgeLUKS(st)
	}
	return otherOS(h)
}
