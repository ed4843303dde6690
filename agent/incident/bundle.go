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
const MaxBundleSize = 100 << 20

// Errors of a bundle that does not match its manifest.
var (
	ErrTampered = errors.New("le lot ne correspond pas à son manifeste")
	ErrUnsigned = errors.New("manifeste non signé")
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
// when pub is nil.
func OpenManifest(data []byte, pub ed25519.PublicKey) (*protocol.IncidentManifest, error) {
	if len(data) > protocol.MaxIncidentManifestSize*2 {
		return nil, errors.New("manifeste trop gros")
	}
	payload := data
	if env, err := protocol.ParseEnvelope(data); err == nil && env.PayloadType != "" {
		if pub == nil {
			return nil, errors.New("manifeste signé : la clé publique de l'agent est nécessaire pour le vérifier")
		}
		if payload, err = protocol.Verify(env, protocol.IncidentPayloadType, pub); err != nil {
			return nil, fmt.Errorf("signature du manifeste : %w", err)
		}
	} else if pub != nil {
		return nil, ErrUnsigned
	}
	return protocol.ParseIncidentManifest(payload)
}

// Extract decrypts the archive (when identity is set), then reads it
// against the manifest: every entry must be listed, with the listed size
// and SHA-256, and every listed file must be there. Sizes are enforced
// while reading, so a lying archive cannot make it hold more than the
// manifest announced.
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
	want := map[string]protocol.IncidentFile{}
	for _, f := range m.Files {
		want[f.Name] = f
	}
	out := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w : archive illisible : %v", ErrTampered, err)
		}
		f, ok := want[hdr.Name]
		if !ok || hdr.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("%w : entrée %q absente du manifeste", ErrTampered, hdr.Name)
		}
		if _, dup := out[hdr.Name]; dup {
			return nil, fmt.Errorf("%w : entrée %q en double", ErrTampered, hdr.Name)
		}
		if hdr.Size != f.Size {
			return nil, fmt.Errorf("%w : %s fait %d octets, le manifeste en annonce %d", ErrTampered, hdr.Name, hdr.Size, f.Size)
		}
		data, err := io.ReadAll(io.LimitReader(tr, f.Size+1))
		if err != nil {
			return nil, fmt.Errorf("%w : %s : %v", ErrTampered, hdr.Name, err)
		}
		sum := sha256.Sum256(data)
		if int64(len(data)) != f.Size || hex.EncodeToString(sum[:]) != f.SHA256 {
			return nil, fmt.Errorf("%w : empreinte SHA-256 de %s différente", ErrTampered, hdr.Name)
		}
		out[hdr.Name] = data
	}
	for name := range want {
		if _, ok := out[name]; !ok {
			return nil, fmt.Errorf("%w : %s manque dans l'archive", ErrTampered, name)
		}
	}
	return out, nil
}
