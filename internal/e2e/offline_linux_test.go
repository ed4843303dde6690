//go:build linux

package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/internal/archtest"
	"github.com/vigie-cyber/vigie/protocol"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if built.vigie != "" {
		os.RemoveAll(filepath.Dir(built.vigie))
	}
	os.Exit(code)
}

// hubKeys is `vigie-hub keys --format json`.
type hubKeys struct {
	SigningKey   string `json:"hub_signing_key"`
	AgeRecipient string `json:"hub_age_recipient"`
}

// importReport is `vigie-hub import --format json`.
type importReport struct {
	Files []struct {
		Path, Kind, Status, Reason, Message string
		AgentID                             string `json:"agent_id"`
		Sequence                            uint64
	}
	Summary struct{ Stored, Duplicates, History, Refused, Ignored, NotHandled int }
}

// outcome is a file's expected status and reason in an import report.
type outcome struct{ status, reason, message string }

// TestOfflineSiteWithRealBinaries is issue 21 end to end, with the built
// vigie and vigie-hub run as a regional CSIRT and a hospital's technician
// would run them:
//
//   - the hub is initialised, its certificate made by serve, a token made,
//     its keys printed; the agent enrols off the network (request file,
//     vigie-hub enroll-offline, response checked against the hub's key);
//   - in offline mode, the agent's real scans (in a network namespace of
//     their own) meet a stick that fills up mid-write, then is pulled out,
//     then comes back: the scorecards stay spooled, status says why, and
//     all three land on the stick in order, the debris of an interrupted
//     write removed; a copy of the host restored from backup writes once
//     with vigie scan --offline-out;
//   - the stick is imported with a file damaged by one byte, a scorecard
//     whose score was changed, one encrypted for another hub, one cut
//     short and a file that is not Vigie's, the good files given newest
//     first: each gets its outcome, the good ones are stored once; again,
//     all duplicates; a copy and a replay from a host restored from backup;
//     a stick carried late, imported while serve runs, lands in the
//     history;
//   - a bundle of CERT-FR advisories from the connected hub is imported by
//     an isolated one; changed by one byte, or signed by a third hub, it is
//     refused.
func TestOfflineSiteWithRealBinaries(t *testing.T) {
	needRoot(t)
	start := time.Now()
	lap := func(what string) { t.Logf("%5.1fs %s", time.Since(start).Seconds(), what) }
	b := build(t)
	lap("binaries built")
	dir := t.TempDir()
	hub := func(args ...string) res { t.Helper(); return run(t, b.hub, args...) }
	// Scans run in a network namespace of their own: the offline agent
	// needs no network, and its DNS checks reach nothing outside.
	vigie := func(args ...string) res {
		t.Helper()
		return run(t, "unshare", append([]string{"--net", b.vigie}, args...)...)
	}

	// 1. The regional hub, its certificate, a token and its keys.
	dbA := filepath.Join(dir, "hub-region", "hub.db")
	os.MkdirAll(filepath.Dir(dbA), 0o700)
	want(t, "init", hub("init", "--db", dbA), 0, "Base du hub prête")
	fp, stop := serve(t, b.hub, dbA) // makes the hub's certificate: agents pin its fingerprint
	stop()
	if _, err := os.Stat(filepath.Join(filepath.Dir(dbA), "hub.crt")); err != nil {
		t.Fatalf("serve made no certificate: %v", err)
	}
	r := hub("token", "create", "--db", dbA, "--entity", "Centre hospitalier de Landerneau", "--sector", "hospital", "--expires", "1h")
	want(t, "token create", r, 0, "Jeton d'enrôlement pour \"Centre hospitalier de Landerneau\"", "--fingerprint "+fp)
	tok := regexp.MustCompile(`\n    ([0-9A-Z-]{24})\n`).FindStringSubmatch(r.out)
	if tok == nil {
		t.Fatalf("no token in %q", r.out)
	}
	keysA := keys(t, hub, dbA)
	dbB := filepath.Join(dir, "hub-isole", "hub.db") // another hub: isolated site's, importer of bundles
	os.MkdirAll(filepath.Dir(dbB), 0o700)
	want(t, "init of a second hub", hub("init", "--db", dbB), 0, "Base du hub prête")
	keysB := keys(t, hub, dbB)
	if keysB == keysA {
		t.Fatal("two hubs with the same keys")
	}
	want(t, "keys (text)", hub("keys", "--db", dbA), 0, "Clé de signature du hub (hub_signing_key)", keysA.SigningKey, keysA.AgeRecipient)
	lap("hubs ready")

	// 2. Offline enrolment round trip.
	state := filepath.Join(dir, "poste", "etat")
	mnt := filepath.Join(dir, "E")
	os.Mkdir(mnt, 0o755)
	stick := filepath.Join(mnt, "vigie")
	cfg := agentConfig(t, filepath.Join(dir, "poste", "vigie.toml"), state, stick)
	req, resp := filepath.Join(dir, "demande.json"), filepath.Join(dir, "reponse.json")
	r = vigie("enroll", "--config", cfg, "--request-out", req, "--token", tok[1], "--fingerprint", fp)
	want(t, "enroll --request-out", r, 0, "Demande d'inscription de l'agent", "vigie-hub enroll-offline")
	m := regexp.MustCompile(`Demande d'inscription de l'agent ([0-9a-f]{32}) écrite`).FindStringSubmatch(r.out)
	if m == nil {
		t.Fatalf("no agent ID in %q", r.out)
	}
	id := m[1]
	want(t, "status, response awaited", vigie("status", "--config", cfg), 0, "demande hors réseau écrite")
	want(t, "enroll-offline, another token", hub("enroll-offline", req, "--db", dbA, "--token", "AAAA-BBBB-CCCC-DDDD-EEEE", "--out", resp),
		1, "n'est pas celui indiqué")
	if _, err := os.Stat(resp); err == nil {
		t.Fatal("a response was written for a refused request")
	}
	want(t, "enroll-offline", hub("enroll-offline", req, "--db", dbA, "--token", tok[1], "--out", resp),
		0, "Agent "+id+" inscrit hors ligne pour « Centre hospitalier de Landerneau »")
	// The response changed by one byte, or checked against another hub's
	// key, is refused; the agent stays unenrolled.
	data, _ := os.ReadFile(resp)
	writeFile(t, filepath.Join(dir, "reponse-modifiee.json"), changePayload(t, data, `"sector":"hospital"`, `"sector":"port"`))
	want(t, "enroll --response, tampered", vigie("enroll", "--config", cfg, "--response", filepath.Join(dir, "reponse-modifiee.json")),
		1, "refusée")
	want(t, "enroll --response, another hub's key", vigie("enroll", "--config", cfg, "--response", resp, "--hub-key", keysB.SigningKey),
		1, "pas par celle indiquée")
	want(t, "status, still awaiting", vigie("status", "--config", cfg), 0, "demande hors réseau écrite")
	want(t, "enroll --response", vigie("enroll", "--config", cfg, "--response", resp, "--hub-key", keysA.SigningKey),
		0, "Agent inscrit hors réseau pour « Centre hospitalier de Landerneau » (identifiant "+id)
	want(t, "status, enrolled offline", vigie("status", "--config", cfg), 0, "Mode : hors réseau", "Centre hospitalier de Landerneau", id)
	// A backup of the host taken now, restored later: it will sign another
	// scorecard with a sequence the hub has already had (a replay).
	restored := filepath.Join(dir, "poste-restaure", "etat")
	copyTree(t, state, restored)
	stickR := filepath.Join(dir, "cle-poste-restaure")
	os.Mkdir(stickR, 0o755)
	// Its configuration is the online one: it writes to a stick once, with
	// vigie scan --offline-out.
	cfgR := filepath.Join(dir, "poste-restaure", "vigie.toml")
	writeFile(t, cfgR, fmt.Appendf(nil, "state_dir = %q\n", restored))
	lap("enrolled offline")

	// 3 and 6. Three real scans meet a stick that fills up mid-write, then
	// is pulled out, then is back. The restored host scans meanwhile.
	mountStick(t, mnt, "64k")
	os.Mkdir(stick, 0o755)
	free := fill(t, stick, 16<<10)
	replay := make(chan res, 1)
	go func() { replay <- vigieQuiet(b.vigie, "scan", "--config", cfgR, "--offline-out", stickR, "--quiet") }()
	r = vigie("scan", "--config", cfg, "--now", "--quiet")
	want(t, "scan, stick full", r, 0, "clé USB pleine", "gardé dans la file")
	if names := listDir(t, stick); len(names) != 1 {
		t.Errorf("full stick holds %v: a partial scorecard was left", names)
	}
	want(t, "status, stick full", vigie("status", "--config", cfg), 0, "clé USB pleine", "En attente d'envoi : 1 bilan")
	lap("scan 1 (stick full)")
	rr := <-replay
	want(t, "scan of the restored host", rr, 0, "écrit dans "+stickR)
	umount(t, mnt) // pulled out
	r = vigie("scan", "--config", cfg, "--now", "--quiet")
	want(t, "scan, stick pulled out", r, 0, "introuvable", "gardé dans la file")
	want(t, "status, stick pulled out", vigie("status", "--config", cfg), 0, "introuvable", "En attente d'envoi : 2 bilan")
	lap("scan 2 (stick pulled out)")
	mountStick(t, mnt, "16m") // plugged in again
	os.Mkdir(stick, 0o755)
	// What a write interrupted by pulling the stick out leaves: the
	// agent's temporary file, never a final name.
	debris := filepath.Join(stick, ".vigie-tmp-"+id+"-1-4242")
	writeFile(t, debris, []byte("age-encryption.org/v1\n-> X25519 coupé"))
	r = vigie("scan", "--config", cfg, "--now", "--quiet")
	want(t, "scan, stick back", r, 0, "écrit dans "+stick)
	lap("scan 3 (stick back)")
	if _, err := os.Stat(debris); err == nil {
		t.Error("the agent left the temporary file of an interrupted write")
	}
	want(t, "status, all written", vigie("status", "--config", cfg), 0, "En attente d'envoi : 0 bilan", "3 bilan(s) écrit(s) dans "+stick)
	file := func(seq uint64) string { return filepath.Join(stick, protocol.OfflineScorecardName(id, seq)) }
	if names := listDir(t, stick); len(names) != 3 {
		t.Fatalf("stick holds %v, want scorecards 1 to 3", names)
	}
	for seq := uint64(1); seq <= 3; seq++ {
		fi, err := os.Stat(file(seq))
		if err != nil {
			t.Fatalf("scorecard %d not on the stick: %v", seq, err)
		}
		if fi.Size() <= free {
			t.Fatalf("scorecard %d is %d bytes, no more than the %d left on the full stick: the write was not cut midway", seq, fi.Size(), free)
		}
	}

	// 4. The files carried to the hub, and the bad ones.
	idA := ageIdentity(t, filepath.Dir(dbA))
	rcptA, rcptB := recipient(t, keysA.AgeRecipient), recipient(t, keysB.AgeRecipient)
	tuesday, monday := filepath.Join(dir, "import", "mardi"), filepath.Join(dir, "import", "lundi")
	copyFile(t, file(3), filepath.Join(tuesday, filepath.Base(file(3)))) // the newest, given first
	copyFile(t, file(1), filepath.Join(monday, filepath.Base(file(1))))
	two, _ := os.ReadFile(file(2))
	damaged := append([]byte(nil), two...)
	damaged[len(damaged)*2/3] ^= 0x01 // one byte of the age payload
	writeFile(t, filepath.Join(monday, "abime.scorecard.age"), damaged)
	writeFile(t, filepath.Join(monday, "coupe.scorecard.age"), two[:len(two)/2])
	envelope := decrypt(t, idA, two)
	writeFile(t, filepath.Join(monday, "autre-hub.scorecard.age"), encrypt(t, rcptB, envelope))
	writeFile(t, filepath.Join(monday, "score-retouche.scorecard.age"), encrypt(t, rcptA, changePayload(t, envelope, `"score":\d+`, `"score":100`)))
	writeFile(t, filepath.Join(monday, "LISEZMOI.txt"), []byte("clé du service informatique\n"))
	writeFile(t, filepath.Join(monday, ".vigie-tmp-"+id+"-2-1"), two[:100]) // debris: hidden, skipped

	// 5. The stick imported, the newest folder first: each file gets its
	// outcome, the two good ones are stored, the newest stays the latest.
	rep, r := importJSON(t, hub, dbA, tuesday, monday)
	checkImport(t, "first import", rep, r, 1, map[string]outcome{
		filepath.Base(file(3)): {"stored", "", "enregistré"},
		filepath.Base(file(1)): {"stored", "", "enregistré"},
		// age authenticates each 64 KiB chunk: a damaged chunk and a cut
		// file fail alike, and the reason is the same.
		"abime.scorecard.age":          {"refused", "truncated", "endommagé"},
		"coupe.scorecard.age":          {"refused", "truncated", "incomplet"},
		"autre-hub.scorecard.age":      {"refused", "not_for_this_hub", "chiffré pour un autre hub"},
		"score-retouche.scorecard.age": {"refused", "tampered", "refusé"},
		"LISEZMOI.txt":                 {"ignored", "not_vigie", "pas un fichier Vigie"},
	})
	latest, seqs := stored(t, dbA, id)
	if latest != 3 || fmt.Sprint(seqs) != "[1 3]" {
		t.Errorf("after the first import: latest %d, history %v; want 3, [1 3]", latest, seqs)
	}
	// The same stick again, in text as an operator reads it: duplicates,
	// nothing written.
	r = hub("import", "--db", dbA, monday, tuesday)
	want(t, "second import", r, 1, filepath.Base(file(3))+" : déjà reçu : doublon, rien d'écrit (agent "+id+", bilan n° 3)",
		"Bilan : 0 enregistré(s), 2 doublon(s), 0 dans l'historique, 4 refusé(s), 1 ignoré(s)", "4 fichier(s) refusé(s)")
	// A copy of an imported file under another name is a duplicate; the
	// restored host's scorecard on a sequence the hub has had is a replay.
	again := filepath.Join(dir, "import", "copie")
	copyFile(t, file(1), filepath.Join(again, "copie de lundi.scorecard.age"))
	copyFile(t, filepath.Join(stickR, protocol.OfflineScorecardName(id, 1)), filepath.Join(again, protocol.OfflineScorecardName(id, 1)))
	rep, r = importJSON(t, hub, dbA, again)
	checkImport(t, "copy and replay", rep, r, 1, map[string]outcome{
		"copie de lundi.scorecard.age":       {"duplicate", "", "doublon"},
		protocol.OfflineScorecardName(id, 1): {"refused", "replayed", "bilan rejoué"},
	})
	// A stick carried late: scorecard 2, which the hub never had, is older
	// than the host's latest: kept in its history.
	late := filepath.Join(dir, "import", "en-retard")
	copyFile(t, file(2), filepath.Join(late, filepath.Base(file(2))))
	// Imported while the hub runs, as an operator would.
	_, stop = serve(t, b.hub, dbA)
	r = hub("import", "--db", dbA, late)
	stop()
	want(t, "late stick, the hub running", r, 0, filepath.Base(file(2))+" : enregistré dans l'historique", "bilan n° 2", "1 dans l'historique")
	latest, seqs = stored(t, dbA, id)
	if latest != 3 || fmt.Sprint(seqs) != "[1 2 3]" {
		t.Errorf("after the late stick: latest %d, history %v; want 3, [1 2 3]", latest, seqs)
	}
	r = hub("export", "--db", dbA, "--format", "json")
	want(t, "export", r, 0, `"agent_id": "`+id+`"`, `"entity": "Centre hospitalier de Landerneau"`)
	if n := strings.Count(r.out, `"agent_id"`); n != 1 {
		t.Errorf("export lists %d hosts, want 1", n)
	}
	lap("imports")

	// 7. Bundles: the regional hub's advisories to the isolated hub.
	want(t, "advisories import", hub("advisories", "import", "--db", dbA, filepath.Join(archtest.Root(t), "testdata", "advisory", "docs")), 0)
	bundle := filepath.Join(dir, "lot.vigie")
	want(t, "bundle export", hub("bundle", "export", "--db", dbA, "--out", bundle), 0, "Lot écrit")
	lot, _ := os.ReadFile(bundle)
	changed := append([]byte(nil), lot...)
	changed[len(changed)/2] ^= 0x01
	writeFile(t, filepath.Join(dir, "lot-abime.vigie"), changed)
	want(t, "bundle changed by one byte", hub("bundle", "import", filepath.Join(dir, "lot-abime.vigie"), "--key", keysA.SigningKey, "--db", dbB),
		1, "lot refusé : modifié")
	if refs := advisories(t, hub, dbB); len(refs) != 0 {
		t.Errorf("a refused bundle imported %v", refs)
	}
	want(t, "bundle import", hub("bundle", "import", bundle, "--key", keysA.SigningKey, "--db", dbB), 0, "épinglée")
	wantRefs := advisories(t, hub, dbA)
	if got := advisories(t, hub, dbB); len(wantRefs) == 0 || fmt.Sprint(got) != fmt.Sprint(wantRefs) {
		t.Errorf("isolated hub holds %v, regional hub %v", got, wantRefs)
	}
	dbC := filepath.Join(dir, "hub-tiers", "hub.db")
	os.MkdirAll(filepath.Dir(dbC), 0o700)
	want(t, "init of a third hub", hub("init", "--db", dbC), 0)
	keys(t, hub, dbC)
	other := filepath.Join(dir, "lot-tiers.vigie")
	want(t, "third hub's bundle export", hub("bundle", "export", "--db", dbC, "--out", other), 0, "Lot écrit")
	want(t, "bundle signed by a third hub", hub("bundle", "import", other, "--db", dbB), 1, "pas signé par la clé")
	lap("bundles")
}

// keys runs `vigie-hub keys --format json`, which makes the hub's keys on
// first use.
func keys(t *testing.T, hub func(...string) res, db string) hubKeys {
	t.Helper()
	r := hub("keys", "--db", db, "--format", "json")
	var k hubKeys
	if err := json.Unmarshal([]byte(r.out), &k); r.code != 0 || err != nil || k.SigningKey == "" || !strings.HasPrefix(k.AgeRecipient, "age1") {
		t.Fatalf("keys --format json: %v\n%s", err, r)
	}
	return k
}

// agentConfig writes an agent configuration in offline mode.
func agentConfig(t *testing.T, path, state, offlineDir string) string {
	t.Helper()
	writeFile(t, path, fmt.Appendf(nil, "state_dir = %q\n[hub]\nmode = \"offline\"\noffline_dir = %q\n", state, offlineDir))
	return path
}

// vigieQuiet runs the agent in a network namespace of its own, for a
// goroutine (no t.Fatal there).
func vigieQuiet(bin string, args ...string) res {
	cmd := exec.Command("unshare", append([]string{"--net", bin}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := res{code: cmd.ProcessState.ExitCode(), out: out.String(), err: errb.String()}
	if err != nil && r.code == 0 {
		r.code, r.err = -1, r.err+err.Error()
	}
	return r
}

// fill fills the stick but for about room bytes, and returns what is left.
func fill(t *testing.T, dir string, room int64) int64 {
	t.Helper()
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		t.Fatal(err)
	}
	avail := int64(fs.Bavail) * fs.Bsize
	if avail <= room {
		t.Fatalf("the stick has %d bytes, not more than %d", avail, room)
	}
	writeFile(t, filepath.Join(dir, "photos.bin"), make([]byte, avail-room))
	syscall.Statfs(dir, &fs)
	return int64(fs.Bavail) * fs.Bsize
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// ageIdentity reads the hub's age identity from its data folder, as only
// the hub can.
func ageIdentity(t *testing.T, dataDir string) age.Identity {
	t.Helper()
	f, err := os.Open(filepath.Join(dataDir, "hub-age.key"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil || len(ids) != 1 {
		t.Fatalf("hub-age.key: %d identities, %v", len(ids), err)
	}
	return ids[0]
}

func recipient(t *testing.T, s string) age.Recipient {
	t.Helper()
	r, err := age.ParseX25519Recipient(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func decrypt(t *testing.T, id age.Identity, data []byte) []byte {
	t.Helper()
	r, err := age.Decrypt(bytes.NewReader(data), id)
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func encrypt(t *testing.T, r age.Recipient, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := age.Encrypt(&b, r)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// changePayload changes the signed payload of a DSSE envelope (the first
// match of the regular expression old becomes repl), keeping its
// signature: a scorecard given a better score, a response sent for another
// sector.
func changePayload(t *testing.T, envelope []byte, old, repl string) []byte {
	t.Helper()
	env, err := protocol.ParseEnvelope(envelope)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := base64.StdEncoding.DecodeString(env.Payload)
	loc := regexp.MustCompile(old).FindIndex(payload)
	if loc == nil {
		t.Fatalf("%s not in the payload", old)
	}
	forged := append(append(append([]byte(nil), payload[:loc[0]]...), repl...), payload[loc[1]:]...)
	env.Payload = base64.StdEncoding.EncodeToString(forged)
	out, _ := json.Marshal(env)
	return out
}

// importJSON runs `vigie-hub import --format json`.
func importJSON(t *testing.T, hub func(...string) res, db string, paths ...string) (importReport, res) {
	t.Helper()
	r := hub(append([]string{"import", "--db", db, "--format", "json"}, paths...)...)
	var rep importReport
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatalf("import --format json: %v\n%s", err, r)
	}
	return rep, r
}

// checkImport compares a report with the outcome of each file, by base
// name: every file listed, no other, and the summary that follows.
func checkImport(t *testing.T, what string, rep importReport, r res, code int, files map[string]outcome) {
	t.Helper()
	if r.code != code {
		t.Errorf("%s: exit %d, want %d\n%s", what, r.code, code, r.err)
	}
	seen := map[string]bool{}
	var sum importReport
	for _, f := range rep.Files {
		base := filepath.Base(f.Path)
		w, ok := files[base]
		switch {
		case !ok:
			t.Errorf("%s: unexpected report %+v", what, f)
		case seen[base]:
			t.Errorf("%s: %s reported twice", what, base)
		case f.Status != w.status || f.Reason != w.reason || !strings.Contains(f.Message, w.message):
			t.Errorf("%s: %s: %s %s %q; want %s %s %q", what, base, f.Status, f.Reason, f.Message, w.status, w.reason, w.message)
		}
		seen[base] = true
		switch f.Status {
		case "stored":
			sum.Summary.Stored++
		case "duplicate":
			sum.Summary.Duplicates++
		case "history":
			sum.Summary.History++
		case "refused":
			sum.Summary.Refused++
		case "ignored":
			sum.Summary.Ignored++
		}
	}
	for base := range files {
		if !seen[base] {
			t.Errorf("%s: no report for %s", what, base)
		}
	}
	if rep.Summary != sum.Summary {
		t.Errorf("%s: summary %+v, the files say %+v", what, rep.Summary, sum.Summary)
	}
}

// stored reads from the hub's database the host's latest sequence and the
// sequences of its history.
func stored(t *testing.T, db, agentID string) (latest uint64, seqs []uint64) {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenExisting(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l, err := st.LatestScorecard(ctx, agentID)
	if err != nil {
		t.Fatalf("latest scorecard of %s: %v", agentID, err)
	}
	hist, err := st.History(ctx, agentID, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range hist {
		seqs = append(seqs, p.Sequence)
	}
	slices.Sort(seqs)
	return l.Sequence, seqs
}

// advisories lists the references of the advisories a hub holds.
func advisories(t *testing.T, hub func(...string) res, db string) []string {
	t.Helper()
	r := hub("advisories", "list", "--db", db, "--format", "csv")
	if r.code != 0 {
		t.Fatalf("advisories list: %s", r)
	}
	refs := regexp.MustCompile(`CERTFR-\d{4}-[A-Z]+-\d+`).FindAllString(r.out, -1)
	slices.Sort(refs)
	return slices.Compact(refs)
}
