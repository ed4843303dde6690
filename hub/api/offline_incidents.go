package api

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vigie-cyber/vigie/hub/app"
	"github.com/vigie-cyber/vigie/hub/store"
	"github.com/vigie-cyber/vigie/protocol"
)

// incidentKind imports the incident bundles « vigie incident --offline-out »
// writes: each signed manifest (incident-STAMP.manifest.dsse.json) with its
// archive beside it (incident-STAMP.tar.age), through the same ingestion
// as POST /api/v1/incidents (app.Incidents.Ingest). One report per
// manifest; an archive without its manifest is refused.
type incidentKind struct{ x *app.Incidents }

func (incidentKind) name() string { return "incident" }

const (
	incidentManifestSuffix = ".manifest.dsse.json"
	incidentArchiveSuffix  = ".tar.age"
)

func (incidentKind) claims(base string, _ []byte) bool {
	return strings.HasSuffix(base, incidentManifestSuffix) || strings.HasSuffix(base, incidentArchiveSuffix)
}

func (k incidentKind) importFiles(ctx context.Context, files []string, report func(FileReport)) error {
	if k.x == nil {
		for _, f := range files {
			report(FileReport{Path: f, Kind: "incident", Status: FileNotHandled,
				Message: "lot d'incident : ce hub n'a pas de service d'incidents (fichier laissé tel quel)"})
		}
		return nil
	}
	paired := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, incidentManifestSuffix) {
			paired[strings.TrimSuffix(f, incidentManifestSuffix)+incidentArchiveSuffix] = true
		}
	}
	for _, f := range files {
		if strings.HasSuffix(f, incidentArchiveSuffix) {
			if !paired[f] {
				report(FileReport{Path: f, Kind: "incident", Status: FileRefused, Reason: ReasonMalformed,
					Message: "refusé : archive d'incident sans son manifeste signé (" + filepath.Base(strings.TrimSuffix(f, incidentArchiveSuffix)) + incidentManifestSuffix + ")"})
			}
			continue
		}
		if err := k.importOne(ctx, f, report); err != nil {
			return err
		}
	}
	return nil
}

func (k incidentKind) importOne(ctx context.Context, manifestPath string, report func(FileReport)) error {
	r := FileReport{Path: manifestPath, Kind: "incident"}
	refuse := func(reason, msg string) {
		r.Status, r.Reason, r.Message = FileRefused, reason, "refusé : "+msg
		report(r)
	}
	manifest, err := readBounded(manifestPath, protocol.MaxIncidentEnvelopeSize)
	if err != nil {
		refuse(ReasonUnreadable, err.Error())
		return nil
	}
	archivePath := strings.TrimSuffix(manifestPath, incidentManifestSuffix) + incidentArchiveSuffix
	f, err := os.Open(archivePath)
	if err != nil {
		refuse(ReasonUnreadable, "archive du lot illisible ou absente : "+err.Error())
		return nil
	}
	defer f.Close()
	got, err := k.x.Ingest(ctx, manifest, f, "import")
	switch {
	case err == nil:
		r.AgentID = got.Incident.AgentID
		r.Status, r.Message = FileStored, "incident n°"+strconv.FormatInt(got.Incident.ID, 10)+" enregistré pour "+got.Incident.Entity
		if got.Duplicate {
			r.Status, r.Message = FileDuplicate, "incident déjà sur le hub (n°"+strconv.FormatInt(got.Incident.ID, 10)+")"
		}
		report(r)
	case errors.Is(err, store.ErrNotFound):
		refuse(ReasonUnknownAgent, "agent inconnu de ce hub")
	case errors.Is(err, store.ErrRevoked):
		refuse(ReasonRevoked, "agent révoqué")
	case errors.Is(err, app.ErrIncidentSignature):
		refuse(ReasonTampered, err.Error())
	case errors.Is(err, app.ErrIncidentMismatch):
		refuse(ReasonTampered, err.Error())
	case errors.Is(err, app.ErrIncidentNotForHub):
		refuse(ReasonNotForThisHub, err.Error())
	case errors.Is(err, app.ErrIncidentMalformed):
		refuse(ReasonMalformed, err.Error())
	default:
		return err
	}
	return nil
}

// readBounded reads a whole file of at most limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, errors.New("manifeste trop gros")
	}
	return os.ReadFile(path)
}
