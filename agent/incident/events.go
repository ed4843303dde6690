package incident

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/winps"
)

// Event is one log event.
type Event struct {
	Source  string    `json:"source"` // Security, System, journal, auth.log
	ID      int       `json:"id,omitempty"`
	Time    time.Time `json:"time,omitzero"`
	Unit    string    `json:"unit,omitempty"`
	Message string    `json:"message"`
	Recent  bool      `json:"recent"`
}

// Events is the events collector's output.
type Events struct {
	Events []Event  `json:"events"`
	Lines  []string `json:"auth_log,omitempty"` // tail of auth.log/secure
	// Read names every source actually read, so that "no events" is never
	// confused with "nothing could be read".
	Read   []string          `json:"read"`
	Errors map[string]string `json:"errors,omitempty"`
}

// WatchedEventIDs are the Windows events the CSIRT asks for first:
// logons (4624/4625), account created (4720), added to a privileged group
// (4732), service installed (7045), security log cleared (1102), system
// log cleared (104).
var WatchedEventIDs = map[string][]int{"Security": {4624, 4625, 4720, 4732, 1102}, "System": {7045, 104}}

const maxMessage = 2000

const psEvents = `foreach ($q in @(@{ LogName = 'Security'; Id = 4624,4625,4720,4732,1102 }, @{ LogName = 'System'; Id = 7045,104 })) { try { Get-WinEvent -FilterHashtable $q -MaxEvents 500 -ErrorAction Stop | ForEach-Object { [pscustomobject]@{ log = [string]$_.LogName; id = [int]$_.Id; time = $_.TimeCreated.ToUniversalTime().ToString('o'); message = [string]$_.Message } } } catch [System.Exception] { if ($_.FullyQualifiedErrorId -notlike 'NoMatchingEventsFound*') { [pscustomobject]@{ log = [string]$q.LogName; id = -1; time = $null; message = [string]$_.Exception.Message } } } }`

type winEvent struct {
	Log     string `json:"log"`
	ID      int    `json:"id"`
	Time    string `json:"time"`
	Message string `json:"message"`
}

func clipText(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	s = s[:maxMessage]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}

// ParseJournal parses `journalctl -o json` output: one JSON object per
// line. MESSAGE may be a string or, for non-UTF-8 text, an array of bytes.
// Lines that are not JSON objects are counted, not fatal.
func ParseJournal(data []byte) (events []Event, bad int) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(line, &m); err != nil {
			bad++
			continue
		}
		e := Event{Source: "journal", Unit: jsonString(m["_SYSTEMD_UNIT"])}
		if e.Unit == "" {
			e.Unit = jsonString(m["SYSLOG_IDENTIFIER"])
		}
		if us, err := strconv.ParseInt(jsonString(m["__REALTIME_TIMESTAMP"]), 10, 64); err == nil && us > 0 {
			e.Time = time.UnixMicro(us).UTC()
		}
		msg := m["MESSAGE"]
		var bs []byte
		if json.Unmarshal(msg, &bs) == nil && len(msg) > 0 && msg[0] == '[' {
			e.Message = strings.ToValidUTF8(string(bs), "\uFFFD")
		} else {
			e.Message = jsonString(msg)
		}
		e.Message = clipText(e.Message)
		events = append(events, e)
	}
	if sc.Err() != nil {
		bad++
	}
	return events, bad
}

func jsonString(r json.RawMessage) string {
	var s string
	if json.Unmarshal(r, &s) != nil {
		return ""
	}
	return s
}

func collectEvents(ctx context.Context, h *checks.Host, o Options) (any, error) {
	ev := &Events{Errors: map[string]string{}}
	if h.OS == "windows" {
		out, err := winps.Run(ctx, h, psEvents, nil)
		if err != nil {
			return nil, err
		}
		list, _, err := winps.Items[winEvent](out)
		if err != nil {
			return nil, err
		}
		ev.Read = append(ev.Read, "Get-WinEvent Security, System")
		for _, w := range list {
			if w.ID < 0 {
				ev.Errors[w.Log] = w.Message
				continue
			}
			e := Event{Source: w.Log, ID: w.ID, Message: clipText(w.Message)}
			if t, err := time.Parse(time.RFC3339Nano, w.Time); err == nil {
				e.Time = t
			}
			e.Recent = isRecent(h, e.Time)
			ev.Events = append(ev.Events, e)
		}
	} else {
		for _, args := range [][]string{
			{"--no-pager", "-o", "json", "-n", "500", "SYSLOG_FACILITY=4", "SYSLOG_FACILITY=10"},
			{"--no-pager", "-o", "json", "-n", "500", "-p", "warning"},
		} {
			out, err := h.Exec.Run(ctx, "journalctl", args...)
			if err != nil {
				ev.Errors["journalctl "+strings.Join(args[4:], " ")] = err.Error()
				continue
			}
			ev.Read = append(ev.Read, "journalctl "+strings.Join(args[4:], " "))
			list, bad := ParseJournal(out)
			if bad > 0 {
				ev.Errors["journalctl "+strings.Join(args[4:], " ")] = strconv.Itoa(bad) + " ligne(s) illisible(s)"
			}
			for i := range list {
				list[i].Recent = isRecent(h, list[i].Time)
			}
			ev.Events = append(ev.Events, list...)
		}
		for _, f := range []string{"var/log/auth.log", "var/log/secure"} {
			b, err := readCapped(h.FS, f, 1<<20, true)
			if err != nil {
				continue
			}
			ev.Read = append(ev.Read, "/"+f)
			for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				ev.Lines = append(ev.Lines, strings.ToValidUTF8(l, "\uFFFD"))
			}
		}
	}
	if len(ev.Read) == 0 {
		if len(ev.Errors) == 0 {
			return nil, errors.New("aucun journal trouvé (ni journald ni auth.log/secure)")
		}
		return nil, errors.New(joinErrors(ev.Errors))
	}
	if len(ev.Errors) == 0 {
		ev.Errors = nil
	}
	return ev, nil
}
