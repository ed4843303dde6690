// Package protocol is the contract between the Vigie agent and its hub: the
// vocabularies (status, severity, domain, sector, maturity level) with their
// French and English names, the scorecard document and its summary, the
// DSSE envelope that carries it signed, key encoding, and the wire protocol
// (paths, headers, enrolment and upload messages, error codes).
//
// It is a leaf: it imports nothing of the project and nothing that touches
// the operating system, so the hub, the agent and any tool reading
// scorecards link the same definitions and cannot drift apart.
// docs/protocol.md describes the same contract for people.
//
// Forward compatibility (docs/protocol.md, "Compatibilité"): hubs are
// upgraded before agents, so a document from a newer agent must be filed,
// never refused, by an older hub. Decoders here ignore fields they do not
// know, keep check IDs and domains they do not know, and read a result
// status they do not know as an error (Status.Known, Status.Effective).
package protocol
