package organisation

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/checks/organisation/guidance"
	"github.com/vigie-cyber/vigie/protocol"
)

func TestQuestionsAndGuidance(t *testing.T) {
	t.Parallel()
	cat, err := guidance.Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	qs := Questions()
	if len(qs) < 15 {
		t.Errorf("%d questions, want about fifteen", len(qs))
	}
	seen := map[string]bool{}
	for _, q := range qs {
		if seen[q.ID] {
			t.Errorf("duplicate question %s", q.ID)
		}
		seen[q.ID] = true
		if !strings.HasPrefix(q.ID, "org.") || q.FR == "" || q.EN == "" || q.HelpFR == "" || q.HelpEN == "" {
			t.Errorf("question %s is incomplete", q.ID)
		}
		if _, ok := cat[q.ID]; !ok {
			t.Errorf("question %s has no guidance", q.ID)
		}
	}
	for _, id := range cat.IDs() {
		if !seen[id] {
			t.Errorf("guidance names unknown question %s", id)
		}
	}
}

// TestUnansweredCountsAsNotDone: nothing answered on a host leaves the
// domain not assessed; once answered there, a question left blank is not
// done (issue 17).
func TestUnansweredCountsAsNotDone(t *testing.T) {
	t.Parallel()
	run := func(answers map[string]string) map[string]protocol.Result {
		out := map[string]protocol.Result{}
		for _, r := range checks.RunAll(context.Background(), checkstest.Host(), Checks(answers), checks.RunOptions{}) {
			out[r.ID] = r
		}
		return out
	}
	for id, r := range run(nil) {
		if r.Status != protocol.NotApplicable || r.Facts["answer"] != Unanswered {
			t.Errorf("nothing answered: %s is %s %v, want not applicable, unanswered", id, r.Status, r.Facts)
		}
	}
	got := run(map[string]string{"org.mfa-mail": "oui"})
	if r := got["org.offline-backup"]; r.Status != protocol.Fail || r.Facts["answer"] != Unanswered || !strings.Contains(r.Evidence.FR, "non renseigné") {
		t.Errorf("partly answered: offline backup left blank is %s %v %q, want a failure « non renseigné »", r.Status, r.Facts, r.Evidence.FR)
	}
	if r := got["org.mfa-mail"]; r.Status != protocol.Pass {
		t.Errorf("answered yes: %s", r.Status)
	}
}

func TestChecksJudgeDeclaredAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		answer string
		want   protocol.Status
		fact   string
	}{
		{"yes", protocol.Pass, Yes},
		{"Oui", protocol.Pass, Yes},
		{"non", protocol.Fail, No},
		{"partiel", protocol.Warn, Partial},
		{"nsp", protocol.Fail, Unknown}, // « non renseigné »: not done
		{"", protocol.NotApplicable, ""},
		{"peut-être", protocol.Error, ""},
	}
	for _, tt := range tests {
		t.Run(tt.answer, func(t *testing.T) {
			t.Parallel()
			cs := Checks(map[string]string{"org.offline-backup": tt.answer})
			var c checks.Check
			for _, x := range cs {
				if x.Meta().ID == "org.offline-backup" {
					c = x
				}
			}
			if !c.Meta().Declared || c.Meta().Domain != protocol.DomainOrganisation {
				t.Fatalf("meta %+v is not a declared organisation check", c.Meta())
			}
			r := checks.RunAll(context.Background(), checkstest.Host(), []checks.Check{c}, checks.RunOptions{})[0]
			if r.Status != tt.want {
				t.Errorf("status %s, want %s (%s)", r.Status, tt.want, r.Evidence.EN)
			}
			if !r.Declared {
				t.Error("result not marked declared")
			}
			if tt.fact != "" && r.Facts["answer"] != tt.fact {
				t.Errorf("fact answer = %v, want %s", r.Facts["answer"], tt.fact)
			}
			if tt.answer == "" && !strings.Contains(r.Evidence.FR, "non renseigné") {
				t.Errorf("unanswered evidence %q lacks « non renseigné »", r.Evidence.FR)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"o": Yes, " OUI ": Yes, "y": Yes, "Yes": Yes, "n": No, "non": No, "no": No,
		"p": Partial, "partiel": Partial, "?": Unknown, "nsp": Unknown, "unknown": Unknown, "na": NotApplicable, "N/A": NotApplicable, "Non applicable": NotApplicable} {
		got, err := Normalize(in)
		if err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "ouii", "1"} {
		if _, err := Normalize(bad); err == nil {
			t.Errorf("Normalize(%q) accepted", bad)
		}
	}
}

// TestAskScripted feeds a whole session at once: answers, an invalid one
// re-asked, Enter keeping a previous answer, then end of input.
func TestAskScripted(t *testing.T) {
	t.Parallel()
	qs := Questions()
	prev := map[string]string{qs[2].ID: "yes", "org.removed-question": "no"}
	in := strings.NewReader("o\nnon\n\npeut-être\np\n?\n") // q1..q5, then EOF
	var out strings.Builder
	got, err := Ask(in, &out, "fr", prev)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		qs[0].ID: Yes, qs[1].ID: No, qs[2].ID: Yes, qs[3].ID: Partial, qs[4].ID: Unknown,
		"org.removed-question": "no", // unknown keys are kept, never silently dropped
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("answers (-want +got):\n%s", d)
	}
	for _, s := range []string{qs[0].FR, "« peut-être » n'est pas une réponse", "(Entrée = oui)", "6/15"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, out.String())
		}
	}
	if prev[qs[0].ID] != "" {
		t.Error("Ask modified the previous map")
	}
}

// TestAskThroughPipes drives Ask like a person at a terminal: wait for each
// prompt, answer, and stop with "q" half-way.
func TestAskThroughPipes(t *testing.T) {
	t.Parallel()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	type res struct {
		m   map[string]string
		err error
	}
	done := make(chan res, 1)
	go func() {
		m, err := Ask(inR, outW, "en", nil)
		outW.Close()
		done <- res{m, err}
	}()
	rd := bufio.NewReader(outR)
	waitPrompt := func() string {
		t.Helper()
		var seen strings.Builder
		for {
			b, err := rd.ReadByte()
			if err != nil {
				t.Fatalf("output ended before a prompt: %q", seen.String())
			}
			seen.WriteByte(b)
			if strings.HasSuffix(seen.String(), "> ") {
				return seen.String()
			}
		}
	}
	send := func(s string) {
		t.Helper()
		if _, err := io.WriteString(inW, s); err != nil {
			t.Fatal(err)
		}
	}
	qs := Questions()
	if p := waitPrompt(); !strings.Contains(p, qs[0].EN) || !strings.Contains(p, "[y/n/p/?/na]") {
		t.Fatalf("first prompt %q", p)
	}
	send("maybe\n")
	if p := waitPrompt(); !strings.Contains(p, `"maybe" is not an answer`) {
		t.Fatalf("no clear message for invalid input: %q", p)
	}
	send("yes\n")
	if p := waitPrompt(); !strings.Contains(p, qs[1].EN) {
		t.Fatalf("second prompt %q", p)
	}
	send("N\n")
	waitPrompt()
	send("q\n")
	go io.Copy(io.Discard, rd)
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		if d := cmp.Diff(map[string]string{qs[0].ID: Yes, qs[1].ID: No}, r.m); d != "" {
			t.Errorf("answers (-want +got):\n%s", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Ask did not return after q")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestAskWriteErrorIsReported(t *testing.T) {
	t.Parallel()
	_, err := Ask(strings.NewReader("o\n"), failWriter{}, "fr", nil)
	if err == nil || !strings.Contains(err.Error(), "write") {
		t.Errorf("err = %v, want a write error", err)
	}
}
