package app

import (
	"bufio"
	"context"
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

// formulaStart is what makes a spreadsheet read a cell as a formula (or, for
// tab and carriage return, what some strip before looking).
const formulaStart = "=+-@\t\r"

// csvSafe defuses spreadsheet formulas in a cell: host names and the rest
// come from agents. A quote is put before any formula character that
// starts the cell or follows a separator (and spaces): French Excel splits on ";", so a
// hostname "pc;=HYPERLINK(...)" would otherwise start a cell of its own;
// "," is the file's separator. Line breaks become spaces (one row per
// line, whatever reads the file).
// CSVSafe is csvSafe for the command line's CSV outputs.
func CSVSafe(v string) string { return csvSafe(v) }

func csvSafe(v string) string {
	v = strings.NewReplacer("\r\n", " ", "\n", " ").Replace(v)
	var b strings.Builder
	start := true
	for _, r := range v {
		if start && strings.ContainsRune(formulaStart, r) {
			b.WriteByte('\'')
		}
		b.WriteRune(r)
		// Spaces after a separator are skipped by spreadsheets too.
		start = r == ';' || r == ',' || (start && r == ' ')
	}
	return b.String()
}

// writeCSVRow writes one row with every cell quoted (so that a reader
// splitting on ";" does not see a cell start inside one) and defused.
func writeCSVRow(w *bufio.Writer, cells []string) {
	for i, c := range cells {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteByte('"')
		w.WriteString(strings.ReplaceAll(csvSafe(c), `"`, `""`))
		w.WriteByte('"')
	}
	w.WriteString("\r\n")
}

// WriteCSV writes the export as CSV (RFC 4180, UTF-8 with a BOM so that
// spreadsheets read accents correctly): one column per domain of
// x.Domains, named score_<domain ID>; every cell quoted and defused
// (csvSafe).
func (x Export) WriteCSV(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("\ufeff")
	head := []string{"entity", "sector", "hostname", "agent_id", "os", "platform", "agent_version", "last_report", "score", "level", "level_name"}
	for _, d := range x.Domains {
		head = append(head, "score_"+string(d))
	}
	writeCSVRow(bw, append(head, "failed_checks"))
	for _, r := range x.Rows {
		rec := []string{r.Entity, r.Sector, r.Hostname, r.AgentID, r.OS, r.Platform, r.AgentVersion, "", "", "", r.LevelName}
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
		writeCSVRow(bw, append(rec, strings.Join(r.Failed, " ")))
	}
	return bw.Flush()
}

// WriteJSON writes the export as one JSON document.
func (x Export) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"exported_at": x.At.UTC(), "filter": map[string]any{"sector": x.Filter.Sector, "level": x.Filter.Level}, "hosts": x.Rows})
}
