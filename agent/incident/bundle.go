package incident

import (
	"archive/tar"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"
	"github.com/vigie-cyber/vigie/agent/keystore"
	"github.com/vigie-cyber/vigie/protocol"
)

// MaxBundleSize bounds an archive read back (the hub's upload limit).
const MaxBundleSize = protocol.MaxIncidentArchiveSize

// Errors of a bundle that does not match its manifest.
var (
	ErrTampered = protocol.ErrIncidentTampered
	ErrUnsigned = protocol.ErrIncidentUnsigned
)

// Bundle is a built triage bundle: the archive (encrypted when a recipient
// was given) and the manifest (a DSSE envelope when signed, else the bare
// JSON).
type Bundle struct {
	Archive  []byte
	Manifest []byte
	Signed   bool
}

// Build writes files into a tar archive, fills the manifest's file list
// (name, size, SHA-256), signs the manifest with key when there is one
// (the host is enrolled) and encrypts the archive to recipient when there
// is one. The archive is built in memory: it is bounded by the collection's
// size budget (50 MB by default).
func Build(files []File, m *protocol.IncidentManifest, key ed25519.PrivateKey, recipient age.Recipient, recipientText string) (*Bundle, error) {
	m.Version = protocol.IncidentVersion
	m.Files = m.Files[:0]
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	for _, f := range files {
		sum := sha256.Sum256(f.Data)
		hdr := &tar.Header{Name: f.Name, Mode: 0o600, Size: int64(len(f.Data)), ModTime: m.DeclaredAt, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, err
		}
		m.Files = append(m.Files, protocol.IncidentFile{Name: f.Name, Size: int64(len(f.Data)), SHA256: hex.EncodeToString(sum[:])})
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	archive := tarBuf.Bytes()
	if recipient != nil {
		m.Encrypted, m.Recipient = true, recipientText
		var enc bytes.Buffer
		w, err := age.Encrypt(&enc, recipient)
		if err != nil {
			return nil, fmt.Errorf("chiffrement : %w", err)
		}
		if _, err := w.Write(archive); err != nil {
			return nil, fmt.Errorf("chiffrement : %w", err)
		}
		if err := w.Close(); err != nil {
			return nil, fmt.Errorf("chiffrement : %w", err)
		}
		archive = enc.Bytes()
	}
	sum := sha256.Sum256(archive)
	m.ArchiveSize, m.ArchiveSHA256 = int64(len(archive)), hex.EncodeToString(sum[:])
	if err := m.Validate(); err != nil {
		return nil, err
	}
	payload, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	b := &Bundle{Archive: archive, Manifest: payload}
	if key != nil {
		env, err := json.Marshal(protocol.Sign(protocol.IncidentPayloadType, payload, key))
		if err != nil {
			return nil, err
		}
		b.Manifest, b.Signed = env, true
	}
	return b, nil
}

// Names of the two files in the output folder.
func (b *Bundle) Names(stamp string) (archive, manifest string) {
	archive = "incident-" + stamp + ".tar"
	if bytesHasAgeHeader(b.Archive) {
		archive += ".age"
	}
	manifest = "incident-" + stamp + ".manifest.json"
	if b.Signed {
		manifest = "incident-" + stamp + ".manifest.dsse.json"
	}
	return archive, manifest
}

func bytesHasAgeHeader(b []byte) bool {
	return bytes.HasPrefix(b, []byte("age-encryption.org/"))
}

// Stamp names a bundle after its declaration time.
func Stamp(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// WriteDir writes the archive then the manifest into dir, each durably
// (temporary file, fsync, rename, directory fsync) and readable by the
// owner only: the bundle holds account names, command lines and logons.
// The manifest comes last so that a manifest on disk always has its
// archive.
func (b *Bundle) WriteDir(dir, stamp string) (archivePath, manifestPath string, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", err
	}
	a, m := b.Names(stamp)
	archivePath, manifestPath = filepath.Join(dir, a), filepath.Join(dir, m)
	if err := keystore.WriteFileAtomic(archivePath, b.Archive, 0o600); err != nil {
		return "", "", err
	}
	if err := keystore.WriteFileAtomic(manifestPath, b.Manifest, 0o600); err != nil {
		return "", "", err
	}
	keystore.SyncDir(dir)
	return archivePath, manifestPath, nil
}

// OpenManifest reads a manifest: a DSSE envelope checked against pub
// (ErrUnsigned when pub is set and the manifest is bare JSON), or bare JSON
// when pub is nil (protocol.OpenIncidentManifest, shared with the hub).
func OpenManifest(data []byte, pub ed25519.PublicKey) (*protocol.IncidentManifest, error) {
	return protocol.OpenIncidentManifest(data, pub)
}

// Extract decrypts the archive (when identity is set), then reads it
// against the manifest (protocol.ReadIncidentArchive) into memory: for
// tests and small bundles; the hub streams instead.
func Extract(archive io.Reader, m *protocol.IncidentManifest, identity age.Identity) (map[string][]byte, error) {
	r := io.LimitReader(archive, MaxBundleSize+1)
	if m.Encrypted {
		if identity == nil {
			return nil, errors.New("lot chiffré : la clé age du destinataire est nécessaire")
		}
		dr, err := age.Decrypt(r, identity)
		if err != nil {
			return nil, fmt.Errorf("déchiffrement : %w", err)
		}
		r = io.LimitReader(dr, MaxBundleSize+1)
	}
	out := map[string][]byte{}
	err := protocol.ReadIncidentArchive(r, m, func(name string, r io.Reader) error {
		data, err := io.ReadAll(r)
		out[name] = data
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
