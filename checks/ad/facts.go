package ad

import "time"

// The collector reads the directory into these plain structs; the judges
// read only them. Nothing here holds a connection, so judges are tested
// from values and fixtures.

// Snapshot is everything read from one directory in one scan.
type Snapshot struct {
	Server    Server
	Domain    Domain
	Accounts  []Account         // enabled and disabled users and computers
	Groups    []PrivilegedGroup // the privileged groups found, members resolved through nesting
	Protected *PrivilegedGroup  // Protected Users; nil when the group does not exist
	LAPS      LAPSSchema
	// RecycleBin is whether the Recycle Bin optional feature is enabled on
	// the Partitions container (msDS-EnabledFeature).
	RecycleBin bool
	ReadAt     time.Time
}

// Server is what the rootDSE says.
type Server struct {
	Vendor              string // vendorName: "Samba Team..." on Samba, empty on Windows
	DNSHostName         string
	DefaultNC, ConfigNC string
	SchemaNC            string
	DomainFunctionality int // domainFunctionality: 0 = 2000 ... 7 = 2016
	ForestFunctionality int
}

// IsSamba tells a Samba directory, which keeps no backup stamp.
func (s Server) IsSamba() bool { return len(s.Vendor) >= 5 && s.Vendor[:5] == "Samba" }

// Domain is the naming context head.
type Domain struct {
	DN  string
	SID string
	// MachineAccountQuota is ms-DS-MachineAccountQuota; nil when not read.
	MachineAccountQuota *int
	// Backup is the last backup recorded by the directory, from the
	// replication metadata of dSASignature (Windows Server Backup and
	// other VSS writers update it).
	Backup BackupStamp
}

// BackupStamp is the dSASignature replication metadata.
type BackupStamp struct {
	Found   bool      // the metadata of dSASignature was read
	Version int       // 1: never changed since the domain was created
	Time    time.Time // last originating change
	Source  string    // "msDS-ReplAttributeMetaData" or "replPropertyMetaData"
}

// userAccountControl bits (MS-ADTS 2.2.16).
const (
	uacDisabled         = 0x0002
	uacNormal           = 0x0200
	uacWorkstation      = 0x1000
	uacServer           = 0x2000 // domain controller
	uacDontExpire       = 0x10000
	uacTrustedForDeleg  = 0x80000
	uacDontReqPreauth   = 0x400000
	uacPartialSecrets   = 0x4000000 // read-only domain controller
	ridKrbtgt           = 502
	ridDomainAdmins     = 512
	ridSchemaAdmins     = 518
	ridEnterpriseAdmins = 519
	ridProtectedUsers   = 525
	ridDCs              = 516
	ridRODCs            = 521
)

// Account is a user or computer account.
type Account struct {
	DN             string
	Name           string // sAMAccountName
	SID            string
	RID            uint32
	UAC            uint32
	Computer       bool
	PrimaryGroupID int
	PwdLastSet     time.Time // zero: never set or must change
	LastLogon      time.Time // lastLogonTimestamp; zero: never
	Created        time.Time
	SPNs           int // number of servicePrincipalName values
	OS, OSVersion  string
	LAPSLegacy     bool // ms-Mcs-AdmPwdExpirationTime set
	LAPSWindows    bool // msLAPS-PasswordExpirationTime set
}

// Enabled reports an account that can log on.
func (a Account) Enabled() bool { return a.UAC&uacDisabled == 0 }

// IsDC reports a domain controller (writable or read-only).
func (a Account) IsDC() bool {
	return a.UAC&(uacServer|uacPartialSecrets) != 0 || a.PrimaryGroupID == ridDCs || a.PrimaryGroupID == ridRODCs
}

// PrivilegedGroup is a privileged group and its members through nesting.
type PrivilegedGroup struct {
	Name    string // the well-known name (not the localised cn)
	DN      string
	SID     string
	Members []string // account DNs, nested membership and primary group included
}

// LAPSSchema says which LAPS attributes the schema knows.
type LAPSSchema struct {
	Legacy  bool // ms-Mcs-AdmPwd (Microsoft LAPS, legacy)
	Windows bool // msLAPS-Password (Windows LAPS)
}

// DCConfig is a domain controller's own settings, read from its registry
// (Windows) or from testparm (Samba).
type DCConfig struct {
	Source string // "registry" or "testparm"
	Samba  bool
	// LDAPSigning: "required", "negotiated" or "none".
	LDAPSigning string
	// ChannelBinding: "always", "when-supported", "never" or
	// "unsupported" (Samba has no LDAP channel binding setting).
	ChannelBinding     string
	SMBSigningRequired bool
	// NTLMv1Accepted and LMAccepted: the DC answers LM or NTLMv1.
	NTLMv1Accepted bool
	LMAccepted     bool
	// Spooler is "running", "stopped", "disabled" or "not-applicable"
	// (Samba).
	Spooler string
	// Sysvol is the local SYSVOL folder, when found.
	Sysvol string
}
