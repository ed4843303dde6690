package app

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// ExportRow is one host in the exports: the same row for CSV and JSON.
type ExportRow struct {
	Entity       string     `json:"entity"`
	Sector       string     `json:"sector"`
	Hostname     string     `json:"hostname"`
	AgentID      string     `json:"agent_id"`
	OS           string     `json:"os"`
	Platform     string     `json:"platform"`
	AgentVersion string     `json:"agent_version"`
	LastReport   *time.Time `json:"last_report"`
	Score        *int       `json:"score"`
	Level        *int       `json:"level"`
	LevelName    string     `json:"level_name"` // protocol.Level.Name
	// Domains are the scores of the domains with something applicable,
	// by domain ID (a newer agent's domains included).
	Domains map[protocol.Domain]int `json:"domains"`
	Failed  []string                `json:"failed_checks"`
}

// Export is the hosts of the entities matching f, with their latest
// scorecard's figures (level names in lang), recorded in the audit log as
// exported by by in format.
func (a *App) Export(ctx context.Context, f Filter, lang, format, by string) (Export, error) {
	rows, err := a.cfg.Store.Hosts(ctx, store.HostFilter{})
	if err != nil {
		return Export{}, err
	}
	now := a.cfg.Now()
	levels, err := a.EntityLevels(ctx, rows)
	if err != nil {
		return Export{}, err
	}
	ov := BuildEntityOverview(rows, levels, f, now, 0, 0)
	keep := map[int64]bool{}
	for _, e := range ov.Entities {
		keep[e.ID] = true
	}
	x := Export{At: now, Filter: f, Domains: ov.Domains, Rows: []ExportRow{}}
	for _, r := range rows {
		if !keep[r.Agent.EntityID] {
			continue
		}
		ag := r.Agent
		row := ExportRow{Entity: ag.Entity, Sector: ag.Sector, Hostname: ag.Hostname, AgentID: ag.ID, OS: ag.OS, Platform: ag.Platform, AgentVersion: ag.AgentVersion,
			Domains: map[protocol.Domain]int{}, Failed: []string{}}
		if l := r.Latest; l != nil {
			t, sc, lv := l.ReceivedAt, l.Score, l.Level
			row.LastReport, row.Score, row.Level, row.LevelName = &t, &sc, &lv, protocol.Level(lv).Name(lang)
			for d, v := range l.DomainScores {
				if v >= 0 {
					row.Domains[d] = v
				}
			}
			row.Failed = append(row.Failed, l.Failed...)
		}
		x.Rows = append(x.Rows, row)
	}
	a.Record(ctx, by, "export", format, filterDetail(f))
	return x, nil
}

// Export is an export's content.
type Export struct {
	At      time.Time
	Filter  Filter
	Domains []protocol.Domain // the CSV's score columns (Columns)
	Rows    []ExportRow
}

// filterDetail is the filter as the audit log notes it.
func filterDetail(f Filter) string {
	var parts []string
	if f.Sector != "" {
		parts = append(parts, "sector="+f.Sector)
	}
	if f.Level >= 0 {
		parts = append(parts, "level="+strconv.Itoa(f.Level))
	}
	return strings.Join(parts, "&")
}

// csvSafe defuses spreadsheet formulas: host names come from agents.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// WriteCSV writes the export as CSV (UTF-8 with a BOM so that spreadsheets
// read accents correctly): one column per domain of x.Domains, named
// score_<domain ID>.
func (x Export) WriteCSV(w io.Writer) error {
	w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	head := []string{"entity", "sector", "hostname", "agent_id", "os", "platform", "agent_version", "last_report", "score", "level", "level_name"}
	for _, d := range x.Domains {
		head = append(head, csvSafe("score_"+string(d)))
	}
	cw.Write(append(head, "failed_checks"))
	for _, r := range x.Rows {
		rec := []string{csvSafe(r.Entity), csvSafe(r.Sector), csvSafe(r.Hostname), r.AgentID, csvSafe(r.OS), csvSafe(r.Platform), csvSafe(r.AgentVersion), "", "", "", r.LevelName}
		if r.LastReport != nil {
			rec[7], rec[8], rec[9] = r.LastReport.UTC().Format(time.RFC3339), strconv.Itoa(*r.Score), strconv.Itoa(*r.Level)
		}
		for _, d := range x.Domains {
			if v, ok := r.Domains[d]; ok {
				rec = append(rec, strconv.Itoa(v))
			} else {
				rec = append(rec, "")
			}
		}
		cw.Write(append(rec, csvSafe(strings.Join(r.Failed, " "))))
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSON writes the export as one JSON document.
func (x Export) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"exported_at": x.At.UTC(), "filter": map[string]any{"sector": x.Filter.Sector, "level": x.Filter.Level}, "hosts": x.Rows})
}
