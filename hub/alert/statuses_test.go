package alert

import (
	"maps"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/protocol"
)

// worst is what resultStatuses must give: the worst status of each check
// of the summary the hub decoded on receipt.
func worst(sum *protocol.Summary) map[string]protocol.Status {
	out := map[string]protocol.Status{}
	for _, x := range sum.Results {
		if st, ok := out[x.ID]; !ok || x.Status.Rank() < st.Rank() {
			out[x.ID] = x.Status
		}
	}
	return out
}

func payloadOf(tb testing.TB, packages int, seed uint64) []byte {
	a := hubtest.NewAgent(seed, 0.5)
	a.Packages = packages
	env, err := protocol.ParseEnvelope(a.Sign(a.Next(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))))
	if err != nil {
		tb.Fatal(err)
	}
	p, err := protocol.OpenUnverified(env, protocol.PayloadType)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestResultStatuses(t *testing.T) {
	for _, c := range []struct {
		name    string
		payload []byte
	}{
		{"workstation", payloadOf(t, 2, 7)},
		{"server with its inventory", payloadOf(t, 900, 8)},
		// A check on two targets: its worst status counts.
		{"two targets", []byte(`{"schema":"vigie.scorecard/v1","id":"x","results":[{"id":"tls.cert","target":"a","status":"pass"},{"id":"tls.cert","target":"b","status":"warn"},{"id":"os.patch","status":"not_applicable"}],"domains":[],"score":0,"level":0}`)},
		{"results last, names escaped", []byte(`{"schema":"vigie.scorecard/v1","id":"x","domains":[],"score":0,"level":0,"r\u0065sults":[{"status":"fail","facts":{"id":"no"},"id":"a.b"}]}`)},
		{"null results", []byte(`{"schema":"vigie.scorecard/v1","id":"x","results":null,"domains":[],"score":0,"level":0}`)},
	} {
		sum, err := protocol.DecodeSummary(c.payload)
		if err != nil {
			t.Fatalf("%s: the hub would refuse it: %v", c.name, err)
		}
		got, err := resultStatuses(c.payload)
		if err != nil || !maps.Equal(got, worst(sum)) {
			t.Errorf("%s: %v, %v; want %v", c.name, got, err, worst(sum))
		}
	}
	for _, bad := range []string{``, `[]`, `{"results":`, `{"results":[{"id":"a"}]}`, `{"results":[{"id":1,"status":"pass"}]}`, `{"results":[{"id":"a","status":"pass"}`, `{"id":"x"}`, `{"results":{}}`} {
		if got, err := resultStatuses([]byte(bad)); err == nil {
			t.Errorf("%q: %v, want an error", bad, got)
		}
	}
}

// FuzzResultStatuses: on every payload the hub accepts (DecodeSummary),
// resultStatuses gives the statuses of the summary; on anything else it
// returns an error or statuses, never panics.
func FuzzResultStatuses(f *testing.F) {
	f.Add(payloadOf(f, 2, 7))
	f.Add([]byte(`{"schema":"vigie.scorecard/v1","id":"x","results":[{"id":"a","status":"pass"},{"id":"a","status":"fail"}],"domains":[],"score":0,"level":0}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		got, err := resultStatuses(payload)
		sum, serr := protocol.DecodeSummary(payload)
		if serr != nil {
			return
		}
		if err != nil || !maps.Equal(got, worst(sum)) {
			t.Fatalf("accepted payload read as %v, %v; want %v", got, err, worst(sum))
		}
	})
}

// BenchmarkResultStatuses: reading the statuses for "fixed", against the
// summary decoding it replaces.
func BenchmarkResultStatuses(b *testing.B) {
	for _, c := range []struct {
		name     string
		packages int
	}{{"workstation", 2}, {"server", 900}} {
		p := payloadOf(b, c.packages, 7)
		b.Run(c.name+"/results", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := resultStatuses(p); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/summary", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sum, err := protocol.DecodeSummary(p)
				if err != nil {
					b.Fatal(err)
				}
				worst(sum)
			}
		})
	}
}
