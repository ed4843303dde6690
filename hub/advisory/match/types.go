// Package match finds which hosts an advisory affects: it compiles each
// CERT-FR advisory into rules (grammar + alias table), indexes the region's
// host inventories by what the rules look up (product, Windows base build,
// Debian release and source package), and evaluates a rule only against the
// hosts its key names. One new advisory therefore costs the size of its
// postings, not of the region; one new inventory the number of rules on the
// keys it holds.
//
// Rules of confidence:
//   - certain: product, platform and version range understood and compared
//     by the ecosystem's ordering (Windows build, dotted application version,
//     Debian source version against a Debian fixed version);
//   - probable: the product matched but the version could not be compared —
//     no version in the entry ("sans le dernier correctif"), a declared
//     asset without version, an upstream range against a distribution
//     package (distributions backport fixes), a kernel when the running
//     kernel is unknown, or a product whose table entry caps it.
//
// Entries that are not understood go to the review list; Ubuntu, Red Hat and
// SUSE entries, which name releases only, give a count of hosts, never an
// exposure.
package match

// Facts about a host's operating system, as the scorecard's host section
// reports them (issue 15).
type Facts struct {
	OS                   string // "windows", "debian", "ubuntu", "rocky", "rhel"…
	PlatformFamily       string // "debian", "rhel", "suse", "windows"
	OSBuild              string // Windows: "10.0.19045.6691" (major.minor.CurrentBuild.UBR)
	OSRelease            string // Windows DisplayVersion "22H2"; Linux VERSION_ID "12", "22.04", "9.4"
	OSEdition            string // Windows EditionID: "Professional", "ServerStandard"
	OSInstallation       string // Windows InstallationType: "Client", "Server", "Server Core"
	Arch                 string // "amd64", "x86_64", "arm64", "386"
	OSCodename           string // "bookworm"
	KernelPackageVersion string // running kernel's package version, "6.1.158-1"
}

// Software is one installed program or package.
type Software struct {
	Name          string
	Version       string
	Publisher     string
	Source        string // "windows-registry", "dpkg", "rpm"
	Arch          string
	SourcePackage string // dpkg source / rpm SRPM name
	SourceVersion string
}

// Asset is an appliance declared for an entity (firewall, NAS, hypervisor).
type Asset struct {
	Vendor  string
	Product string
	Version string
	Name    string // the adviser's label ("pare-feu mairie")
}

// Inventory is what the matcher knows of one host: its latest inventory.
// Declared assets of an entity are given as an inventory of their own (Host
// names it, Facts empty).
type Inventory struct {
	Host     string // agent id, or a stable id for an entity's declared assets
	Entity   string
	Facts    Facts
	Software []Software
	Assets   []Asset
}

// Confidence of an exposure.
type Confidence string

const (
	Certain  Confidence = "certain"
	Probable Confidence = "probable"
)

// Exposure: a host runs something an advisory entry affects.
type Exposure struct {
	Advisory         string
	Entry            int // index in the advisory's affected_systems
	Host             string
	Entity           string
	Product          string // installed name, declared product, Windows line or source package
	InstalledVersion string
	FixedVersion     string // empty when there is no single fixed version
	Affected         string // the advisory's text for that line
	Confidence       Confidence
	Source           string // windows-registry, dpkg, rpm, declared, os
}

// Review is an entry the matcher could not use, with the reason.
type Review struct {
	Advisory string
	Entry    int
	Vendor   string
	Product  string
	Text     string
	Reason   string
}

// ReleaseCount is the number of hosts running a release an Ubuntu, Red Hat
// or SUSE entry names (information, not exposure).
type ReleaseCount struct {
	Advisory     string
	Text         string
	Distribution string
	Release      string
	Hosts        int
}
