package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/api"
	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/hubkeys"
	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

var incidentAt = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

type incidentHub struct {
	st    store.Store
	dir   string
	keys  *hubkeys.Keys
	agent *hubtest.Agent
	h     http.Handler
}

func newIncidentHub(tb testing.TB) *incidentHub {
	tb.Helper()
	st, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "hub.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	keys, _ := hubkeys.Generate()
	ih := &incidentHub{st: st, keys: keys, dir: filepath.Join(tb.TempDir(), "incidents"), agent: hubtest.NewAgent(21, 0.5)}
	x, err := app.NewIncidents(app.IncidentConfig{Store: st, Dir: ih.dir, Keys: keys})
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	ent, _ := st.EnsureEntity(ctx, "Port de Lorient", "port")
	h := sha256.Sum256([]byte("tok"))
	st.CreateToken(ctx, store.Token{Hash: h[:], EntityID: ent.ID, CreatedAt: incidentAt, ExpiresAt: incidentAt.Add(time.Hour), CreatedBy: "t"})
	if _, err := st.Enroll(ctx, h[:], store.Agent{ID: ih.agent.ID, PublicKey: []byte(ih.agent.Key.Public().(ed25519.PublicKey)), Hostname: "port-pc1"}, incidentAt); err != nil {
		tb.Fatal(err)
	}
	ih.h = api.New(api.Config{Store: st, Incidents: x, UploadsPerHour: -1, MaxUploadsPerAgent: -1, MaxUploadsPerAddress: -1}).Handler()
	return ih
}

// body is a multipart upload with the fixed boundary "B".
func incidentBody(manifest, archive []byte) []byte {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.SetBoundary("B")
	w, _ := mw.CreateFormFile(protocol.IncidentPartManifest, "m.json")
	w.Write(manifest)
	w, _ = mw.CreateFormFile(protocol.IncidentPartArchive, "a.tar.age")
	w.Write(archive)
	mw.Close()
	return b.Bytes()
}

func (ih *incidentHub) post(body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, protocol.PathIncidents, bytes.NewReader(body))
	r.Header.Set("Content-Type", "multipart/form-data; boundary=B")
	r.Header.Set(protocol.HeaderAgent, ih.agent.ID)
	w := httptest.NewRecorder()
	ih.h.ServeHTTP(w, r)
	return w
}

// checkDisk is the upload's invariant: no temporary file survives a
// request, and the folder holds exactly the archives of the incidents
// stored, each with the SHA-256 the signed manifest gave.
func (ih *incidentHub) checkDisk(t testing.TB) {
	t.Helper()
	list, err := ih.st.ListIncidents(context.Background(), store.IncidentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(ih.dir)
	if len(ents) != len(list) {
		t.Fatalf("%d files for %d incidents: %v", len(ents), len(list), ents)
	}
	for _, in := range list {
		b, err := os.ReadFile(filepath.Join(ih.dir, in.ArchiveFile))
		sum := sha256.Sum256(b)
		if err != nil || hex.EncodeToString(sum[:]) != in.ArchiveSHA256 {
			t.Fatalf("incident %d: archive on disk does not match (%v)", in.ID, err)
		}
	}
}

// TestIncidentUploadHTTP: the protocol's replies to an incident upload.
func TestIncidentUploadHTTP(t *testing.T) {
	ih := newIncidentHub(t)
	m, a, err := hubtest.IncidentBundle(ih.agent.Key, ih.agent.ID, ih.keys.Age.Recipient(), hubtest.IncidentFiles(incidentAt), incidentAt, protocol.IncidentAnswers{Kind: "fraud"})
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(a)
	flipped[100] ^= 1
	for _, tc := range []struct {
		name string
		body []byte
		code int
		want string
	}{
		{"parts swapped", incidentBody(a, m), 400, protocol.CodeMalformedIncident},
		{"tampered", incidentBody(m, flipped), 422, protocol.CodeIncidentMismatch},
		{"stored", incidentBody(m, a), 201, `"status":"stored"`},
		{"again", incidentBody(m, a), 200, `"status":"duplicate"`},
		{"not multipart", []byte("{}"), 415, protocol.CodeUnsupportedMedia},
	} {
		var w *httptest.ResponseRecorder
		if tc.name == "not multipart" {
			r := httptest.NewRequest(http.MethodPost, protocol.PathIncidents, bytes.NewReader(tc.body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set(protocol.HeaderAgent, ih.agent.ID)
			w = httptest.NewRecorder()
			ih.h.ServeHTTP(w, r)
		} else {
			w = ih.post(tc.body)
		}
		if w.Code != tc.code || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, w.Code, w.Body.String(), tc.code, tc.want)
		}
		ih.checkDisk(t)
	}
}

// FuzzIncidentUpload: whatever the body, the hub answers one of the
// protocol's statuses, stores an incident only with its archive on disk
// matching the signed hash, and leaves no temporary file; a body that is
// not the genuine upload stores nothing new.
func FuzzIncidentUpload(f *testing.F) {
	ih := newIncidentHub(f)
	m, a, err := hubtest.IncidentBundle(ih.agent.Key, ih.agent.ID, ih.keys.Age.Recipient(), hubtest.IncidentFiles(incidentAt), incidentAt, protocol.IncidentAnswers{Kind: "other"})
	if err != nil {
		f.Fatal(err)
	}
	genuine := incidentBody(m, a)
	f.Add(genuine)
	f.Add(incidentBody(m, a[:len(a)/2]))
	f.Add(incidentBody(m, nil))
	f.Add(incidentBody([]byte(`{"payloadType":"x","payload":"","signatures":[]}`), a))
	f.Add([]byte("--B\r\n\r\n--B--\r\n"))
	allowed := map[int]bool{200: true, 201: true, 400: true, 401: true, 403: true, 408: true, 413: true, 422: true, 503: true}
	f.Fuzz(func(t *testing.T, body []byte) {
		before, _ := ih.st.ListIncidents(context.Background(), store.IncidentFilter{})
		w := ih.post(body)
		if !allowed[w.Code] {
			t.Fatalf("status %d: %s", w.Code, w.Body.String())
		}
		after, _ := ih.st.ListIncidents(context.Background(), store.IncidentFilter{})
		if len(after) > len(before) && !bytes.Equal(body, genuine) {
			// A different body may only store what the genuine signed
			// manifest describes (e.g. other framing): same hash.
			if after[0].ArchiveSHA256 != hex.EncodeToString(sha256Of(a)) {
				t.Fatalf("a body other than the genuine upload stored %+v", after[0])
			}
		}
		ih.checkDisk(t)
	})
}

func sha256Of(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

// BenchmarkIngest50MB: the hub ingests a 50 MB bundle (encrypted,
// incompressible) streamed from disk: receiving while hashing, then
// decrypting and checking it file by file. The bytes allocated per
// operation and the peak heap show it is never held in memory.
func BenchmarkIngest50MB(b *testing.B) {
	st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "hub.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	keys, _ := hubkeys.Generate()
	dir := filepath.Join(b.TempDir(), "incidents")
	x, err := app.NewIncidents(app.IncidentConfig{Store: st, Dir: dir, Keys: keys})
	if err != nil {
		b.Fatal(err)
	}
	ag := hubtest.NewAgent(31, 0.5)
	ctx := context.Background()
	ent, _ := st.EnsureEntity(ctx, "CH", "hospital")
	h := sha256.Sum256([]byte("tok"))
	st.CreateToken(ctx, store.Token{Hash: h[:], EntityID: ent.ID, CreatedAt: incidentAt, ExpiresAt: incidentAt.Add(time.Hour), CreatedBy: "t"})
	st.Enroll(ctx, h[:], store.Agent{ID: ag.ID, PublicKey: []byte(ag.Key.Public().(ed25519.PublicKey))}, incidentAt)
	path := filepath.Join(b.TempDir(), "big.tar.age")
	out, _ := os.Create(path)
	manifest, err := hubtest.BigIncident(out, ag.Key, ag.ID, keys.Age.Recipient(), 50<<20, incidentAt)
	out.Close()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(50 << 20)
	for b.Loop() {
		f, _ := os.Open(path)
		got, err := x.Ingest(ctx, manifest, f, "upload")
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		x.Delete(ctx, got.Incident.ID, "bench", "bench")
		b.StartTimer()
	}
	// The process's peak resident set (Linux), the test binary included.
	if s, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(s), "\n") {
			var kb float64
			if _, err := fmt.Sscanf(l, "VmHWM: %f kB", &kb); err == nil {
				b.ReportMetric(kb/1024, "peak-RSS-MB")
			}
		}
	}
}
