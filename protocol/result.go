package protocol

import (
	"fmt"
	"time"
)

// Text is a message in French and English. Checks write evidence in both so
// the scorecard can be read in either language without the agent.
type Text struct {
	FR string `json:"fr"`
	EN string `json:"en"`
}

// Textf formats the same arguments into a French and an English template.
func Textf(fr, en string, args ...any) Text {
	return Text{FR: fmt.Sprintf(fr, args...), EN: fmt.Sprintf(en, args...)}
}

// In returns the text in lang ("fr" or "en"), falling back to French.
func (t Text) In(lang string) string {
	if lang == "en" && t.EN != "" {
		return t.EN
	}
	return t.FR
}

// Refs ties a check to the reference frames advisers use.
type Refs struct {
	ANSSI []int    `json:"anssi,omitempty"` // ANSSI hygiene guide v2 measure numbers (1-42)
	CIS   []string `json:"cis,omitempty"`   // CIS Controls v8 IG1 safeguards, e.g. "7.3"
	NIS2  []string `json:"nis2,omitempty"`  // NIS2 art. 21(2) letters, e.g. "e"
}

// HostInfo describes the observed host's operating system.
type HostInfo struct {
	Hostname        string    `json:"hostname"`
	OS              string    `json:"os"`               // linux, windows
	Platform        string    `json:"platform"`         // debian, ubuntu, rocky, Microsoft Windows Server 2022 Standard
	PlatformFamily  string    `json:"platform_family"`  // debian, rhel, Server, Standalone Workstation
	PlatformVersion string    `json:"platform_version"` // 12.7, 9.4, 10.0.20348 Build 20348
	KernelVersion   string    `json:"kernel_version"`
	Arch            string    `json:"arch"`
	BootTime        time.Time `json:"boot_time"`
}

// Result is what one check saw, with the metadata a reader needs to score
// and aggregate it without the agent's catalogue (domain, severity,
// references). A check fills Status, Evidence and Facts; the runner fills the
// rest from the check's metadata.
type Result struct {
	ID       string         `json:"id"`
	Version  int            `json:"version"`
	Target   string         `json:"target,omitempty"`
	Status   Status         `json:"status"`
	Evidence Text           `json:"evidence"`
	Facts    map[string]any `json:"facts,omitempty"`
	Declared bool           `json:"declared,omitempty"`
	Duration time.Duration  `json:"duration_ns,format:nano"`
	Domain   Domain         `json:"domain"`
	Severity Severity       `json:"severity"`
	Refs     Refs           `json:"refs"`
}

// ByPriority orders results as every page lists them: failures first, then
// warnings, errors, passes, not applicable; within a status the most severe
// first; then by ID and target so the order is stable.
func ByPriority(a, b *Result) int {
	if d := a.Status.Rank() - b.Status.Rank(); d != 0 {
		return d
	}
	if d := a.Severity.Rank() - b.Severity.Rank(); d != 0 {
		return d
	}
	if a.ID != b.ID {
		if a.ID < b.ID {
			return -1
		}
		return 1
	}
	switch {
	case a.Target < b.Target:
		return -1
	case a.Target > b.Target:
		return 1
	}
	return 0
}
