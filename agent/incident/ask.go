package incident

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-cyber/vigie/protocol"
)

// maxAnswer bounds one typed answer; longer lines are cut, not refused:
// nothing the caller typed is worth an error in the middle of an incident.
const maxAnswer = 2000

// ParseAwareAt reads when the entity became aware: RFC 3339, or the
// simpler forms a person types ("2026-11-30 08:15", "2026-11-30T08:15"),
// taken in loc.
func ParseAwareAt(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", "02/01/2006 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("date %q illisible (attendu : 2026-11-30 08:15 ou 2026-11-30T08:15:00+01:00)", s)
}

// ParsePersonalData reads the answer to "may personal data be affected?"
// in French or English: yes, no, or don't know / skipped (nil). valid is
// false for anything else.
func ParsePersonalData(s string) (v *bool, valid bool) {
	s = strings.ToLower(strings.Join(strings.Fields(strings.ReplaceAll(s, "’", "'")), " "))
	s = strings.TrimRight(s, ".!")
	yes, no := true, false
	switch s {
	case "o", "oui", "y", "yes", "1":
		return &yes, true
	case "n", "non", "no", "2":
		return &no, true
	case "", "?", "3", "nsp", "ne sais pas", "je ne sais pas", "sais pas", "je sais pas", "don't know", "dont know", "i don't know", "i dont know", "not sure", "unknown", "dk":
		return nil, true
	}
	return nil, false
}

// Ask shows the kind menu (unless kind is already known), prints the
// advice at once — the measures come before any question — then asks the
// CSIRT's first questions, every one skippable. A read error or the end of
// input keeps what was answered.
func Ask(in io.Reader, out io.Writer, lang string, adv *Advice, kind string, now time.Time) (protocol.IncidentAnswers, error) {
	// A *bufio.Reader is shared with the caller, which asks more after
	// (a Scanner would read ahead and swallow the caller's lines).
	br, isBuf := in.(*bufio.Reader)
	if !isBuf {
		br = bufio.NewReader(in)
	}
	var readErr error
	q := adv.Questions[lang]
	line := func(prompt string) (string, bool) {
		fmt.Fprintf(out, "%s %s\n> ", prompt, q["skip"])
		s, err := br.ReadString('\n')
		if err != nil && s == "" {
			fmt.Fprintln(out)
			if err != io.EOF {
				readErr = err
			}
			return "", false
		}
		s = strings.TrimSpace(s)
		if len(s) > maxAnswer {
			s = strings.ToValidUTF8(s[:maxAnswer], "")
		}
		return s, err == nil
	}
	a := protocol.IncidentAnswers{Kind: kind}
	ok := true
	for a.Kind == "" {
		fmt.Fprintln(out, q["kind"])
		for i, k := range protocol.IncidentKinds {
			fmt.Fprintf(out, "  %d. %s\n", i+1, adv.KindLabels[lang][k])
		}
		var s string
		s, ok = line(q["kind_prompt"])
		if s == "" {
			a.Kind = protocol.IncidentOther
			break
		}
		if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= len(protocol.IncidentKinds) {
			a.Kind = protocol.IncidentKinds[n-1]
		} else if protocol.ValidIncidentKind(s) {
			a.Kind = s
		} else if !ok {
			a.Kind = protocol.IncidentOther
		}
	}
	adv.PrintAdvice(out, a.Kind, lang)
	for ok && a.AwareAt.IsZero() {
		var s string
		s, ok = line(q["aware_at"])
		if s == "" {
			break // skipped: the hub counts from the declaration instead
		}
		t, err := ParseAwareAt(s, now.Location())
		if err != nil {
			fmt.Fprintln(out, err)
			continue
		}
		a.AwareAt = t
	}
	if ok {
		a.Affected, ok = line(q["affected"])
	}
	// Personal data: yes starts the CNIL's 72 hours at the hub (GDPR art.
	// 33); "don't know", like a skip, leaves it unanswered for the CSIRT
	// to settle with the entity; anything else is asked again.
	for ok {
		var s string
		s, ok = line(q["personal_data"])
		v, valid := ParsePersonalData(s)
		if !valid {
			fmt.Fprintln(out, q["personal_data_again"])
			continue
		}
		a.PersonalData = v
		if v == nil && s != "" {
			fmt.Fprintln(out, q["personal_data_unknown"])
		} else if v != nil && *v {
			fmt.Fprintln(out, q["personal_data_yes"])
		}
		break
	}
	for _, f := range []struct {
		key string
		dst *string
	}{{"seen", &a.Seen}, {"contact", &a.Contact}, {"summary", &a.Summary}} {
		if !ok {
			break
		}
		*f.dst, ok = line(q[f.key])
	}
	if readErr != nil {
		return a, errors.Join(errors.New("lecture des réponses interrompue"), readErr)
	}
	return a, nil
}
