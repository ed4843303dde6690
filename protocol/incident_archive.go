package protocol

import (
	"archive/tar"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// Reading a triage bundle against its manifest: what the agent's own tests,
// the hub's ingestion and the hub's pages share. Decryption is the
// caller's (it holds the age identity).

// MaxIncidentArchiveSize bounds an incident archive as received (encrypted
// or not): the hub's upload limit.
const MaxIncidentArchiveSize = 100 << 20

// Errors of a bundle that does not match its manifest, or whose manifest
// is unsigned where a signature is required.
var (
	ErrIncidentTampered = errors.New("le lot ne correspond pas à son manifeste")
	ErrIncidentUnsigned = errors.New("manifeste non signé")
)

// OpenIncidentManifest reads a manifest: a DSSE envelope checked against
// pub (ErrIncidentUnsigned when pub is set and the manifest is bare JSON),
// or bare JSON when pub is nil.
func OpenIncidentManifest(data []byte, pub ed25519.PublicKey) (*IncidentManifest, error) {
	if len(data) > MaxIncidentManifestSize*2 {
		return nil, errors.New("manifeste trop gros")
	}
	payload := data
	if env, err := ParseEnvelope(data); err == nil && env.PayloadType != "" {
		if pub == nil {
			return nil, errors.New("manifeste signé : la clé publique de l'agent est nécessaire pour le vérifier")
		}
		if payload, err = Verify(env, IncidentPayloadType, pub); err != nil {
			return nil, fmt.Errorf("signature du manifeste : %w", err)
		}
	} else if pub != nil {
		return nil, ErrIncidentUnsigned
	}
	return ParseIncidentManifest(payload)
}

// ReadIncidentArchive reads a plain (decrypted) tar stream against the
// manifest, streaming: every entry must be a regular file listed once,
// with the listed size and SHA-256, and every listed file must be there.
// each, when not nil, is called with each entry's name and content (it
// may read all, part or none of it; the rest is hashed anyway); a file it
// kept must be thrown away when ReadIncidentArchive returns an error,
// which wraps ErrIncidentTampered when the archive lies. Sizes are
// enforced while reading: a lying archive cannot make anyone read more
// than the manifest announced.
func ReadIncidentArchive(r io.Reader, m *IncidentManifest, each func(name string, r io.Reader) error) error {
	want := map[string]IncidentFile{}
	for _, f := range m.Files {
		want[f.Name] = f
	}
	seen := map[string]bool{}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%w : archive illisible : %v", ErrIncidentTampered, err)
		}
		f, ok := want[hdr.Name]
		if !ok || hdr.Typeflag != tar.TypeReg {
			return fmt.Errorf("%w : entrée %q absente du manifeste", ErrIncidentTampered, hdr.Name)
		}
		if seen[hdr.Name] {
			return fmt.Errorf("%w : entrée %q en double", ErrIncidentTampered, hdr.Name)
		}
		seen[hdr.Name] = true
		if hdr.Size != f.Size {
			return fmt.Errorf("%w : %s fait %d octets, le manifeste en annonce %d", ErrIncidentTampered, hdr.Name, hdr.Size, f.Size)
		}
		sum := sha256.New()
		body := &readErr{r: io.TeeReader(io.LimitReader(tr, f.Size), sum)}
		if each != nil {
			if err := each(hdr.Name, body); err != nil {
				if body.err != nil {
					return fmt.Errorf("%w : %s : %v", ErrIncidentTampered, hdr.Name, body.err)
				}
				return err
			}
		}
		if _, err := io.Copy(sum, io.LimitReader(tr, f.Size+1)); err != nil {
			return fmt.Errorf("%w : %s : %v", ErrIncidentTampered, hdr.Name, err)
		}
		if hex.EncodeToString(sum.Sum(nil)) != f.SHA256 {
			return fmt.Errorf("%w : empreinte SHA-256 de %s différente", ErrIncidentTampered, hdr.Name)
		}
	}
	for name := range want {
		if !seen[name] {
			return fmt.Errorf("%w : %s manque dans l'archive", ErrIncidentTampered, name)
		}
	}
	return nil
}

// readErr remembers a read error of the archive itself, so that a callback
// failing because the archive is cut short is reported as a lying archive.
type readErr struct {
	r   io.Reader
	err error
}

func (e *readErr) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}
