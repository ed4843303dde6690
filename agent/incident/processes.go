package incident

import (
	"context"
	"strconv"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/winps"
)

// Proc is a running process as the CSIRT sees it.
type Proc struct {
	PID       int32  `json:"pid"`
	Name      string `json:"name"`
	Exe       string `json:"exe,omitempty"`
	Cmdline   string `json:"cmdline,omitempty"`
	SHA256    string `json:"sha256,omitempty"`
	HashError string `json:"hash_error,omitempty"`
	// Deleted: the binary was removed after it started, a classic trait of
	// malware that cleans up behind itself.
	Deleted bool `json:"deleted,omitempty"`
}

const psProcesses = `Get-CimInstance Win32_Process | ForEach-Object { [pscustomobject]@{ pid = [int]$_.ProcessId; name = [string]$_.Name; exe = [string]$_.ExecutablePath; cmdline = [string]$_.CommandLine } }`

func collectProcesses(ctx context.Context, h *checks.Host, o Options) (any, error) {
	var procs []Proc
	if h.OS == "windows" {
		out, err := winps.Run(ctx, h, psProcesses, nil)
		if err != nil {
			return nil, err
		}
		procs, _, err = winps.Items[Proc](out)
		if err != nil {
			return nil, err
		}
	} else {
		list, err := h.Facts.Processes(ctx)
		if err != nil {
			return nil, err
		}
		for _, p := range list {
			pr := Proc{PID: p.PID, Name: p.Name, Exe: p.Exe}
			if b, err := readCapped(h.FS, "proc/"+strconv.Itoa(int(p.PID))+"/cmdline", 64<<10, false); err == nil {
				pr.Cmdline = strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
			}
			if e, ok := strings.CutSuffix(pr.Exe, " (deleted)"); ok {
				pr.Exe, pr.Deleted = e, true
			}
			procs = append(procs, pr)
		}
	}
	hs := newHasher(h)
	for i := range procs {
		if procs[i].Exe == "" || procs[i].Deleted {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		s, err := hs.sum(ctx, procs[i].Exe)
		if err != nil {
			procs[i].HashError = err.Error()
			continue
		}
		procs[i].SHA256 = s
	}
	return procs, nil
}
