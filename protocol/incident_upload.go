package protocol

// Uploading an incident bundle (docs/protocol.md, "Incidents").

// PathIncidents takes a declared incident: POST, multipart/form-data with
// two parts in this order, "manifest" (the DSSE envelope of the manifest,
// signed by the agent's enrolled key, at most 2 MiB) then "archive" (the
// archive, encrypted to the hub's age recipient, as many bytes as the
// manifest's archive_size, at most MaxIncidentArchiveSize). The header
// X-Vigie-Agent names the agent, as for scorecards.
const PathIncidents = "/api/v1/incidents"

// Part names of the incident upload.
const (
	IncidentPartManifest = "manifest"
	IncidentPartArchive  = "archive"
)

// MaxIncidentEnvelopeSize bounds the manifest part: a manifest of
// MaxIncidentManifestSize in base64 inside its envelope.
const MaxIncidentEnvelopeSize = 2 * MaxIncidentManifestSize

// Error codes of the incident upload.
const (
	// CodeMalformedIncident (400): the parts are missing, out of order or
	// the manifest is unreadable or incomplete (no archive size or hash).
	CodeMalformedIncident = "malformed_incident"
	// CodeIncidentMismatch (422): the archive received is not the one
	// the signed manifest describes (size, SHA-256, or its content).
	CodeIncidentMismatch = "incident_mismatch"
	// CodeIncidentNotForHub (422): the archive is not encrypted to this
	// hub's age recipient: the hub could neither check nor read it.
	CodeIncidentNotForHub = "incident_not_for_hub"
)

// IncidentResponse is the 201 (stored) or 200 (already stored: a retry)
// reply to an incident upload.
type IncidentResponse struct {
	Status string `json:"status"` // IngestStored or IngestDuplicate
	ID     int64  `json:"id"`     // the hub's incident number, to quote on the phone
	Entity string `json:"entity"`
}
