package national

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/vigie-cyber/vigie/hub/federation"
	"github.com/vigie-cyber/vigie/hub/store"
)

// ReportRow is one region's sector and size band on its latest day (or
// the day asked for): what « vigie-hub national report » prints.
type ReportRow struct {
	Region   string             `json:"region"`
	Day      string             `json:"day"`
	Sector   string             `json:"sector"`
	SizeBand string             `json:"size_band"`
	Withheld bool               `json:"withheld"`
	Entities federation.Count   `json:"entities"`
	Levels   []federation.Count `json:"levels,omitempty"`
	// Medians are the median domain scores, by domain; a withheld one is
	// absent from Medians and listed in WithheldDomains.
	Medians         map[string]float64 `json:"medians,omitempty"`
	WithheldDomains []string           `json:"withheld_domains,omitempty"`
}

// Report lists, per region and cell, the latest day's figures (day ""),
// or those of day.
func Report(ctx context.Context, st store.Store, day string) ([]ReportRow, error) {
	var recs []store.AggregateRecord
	var err error
	if day == "" {
		recs, err = st.LatestAggregates(ctx)
	} else {
		if _, err := federation.ParseDay(day); err != nil {
			return nil, err
		}
		recs, err = st.AggregatesOn(ctx, day)
	}
	if err != nil {
		return nil, err
	}
	out := []ReportRow{}
	for _, rec := range recs {
		var a federation.Aggregate
		if err := json.Unmarshal(rec.Document, &a); err != nil {
			return nil, fmt.Errorf("agrégat de %s du %s illisible : %w", rec.Region, rec.Day, err)
		}
		for _, c := range a.Cells {
			r := ReportRow{Region: rec.Region, Day: rec.Day, Sector: c.Sector, SizeBand: c.SizeBand, Withheld: c.Withheld, Entities: c.Entities, Levels: c.Levels}
			for _, d := range c.Domains {
				if d.Withheld {
					r.WithheldDomains = append(r.WithheldDomains, d.Domain)
					continue
				}
				if r.Medians == nil {
					r.Medians = map[string]float64{}
				}
				r.Medians[d.Domain] = *d.Median
			}
			out = append(out, r)
		}
	}
	return out, nil
}
