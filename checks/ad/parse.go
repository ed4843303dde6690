package ad

import (
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Entry is one LDAP entry as read: attribute names lower-cased, raw values.
// The collector fills it from go-ldap; tests and fuzz targets build it.
type Entry struct {
	DN    string
	Attrs map[string][][]byte
}

func (e Entry) str(name string) string {
	v := e.Attrs[strings.ToLower(name)]
	if len(v) == 0 {
		return ""
	}
	return string(v[0])
}

func (e Entry) has(name string) bool { return len(e.Attrs[strings.ToLower(name)]) > 0 }

func (e Entry) count(name string) int { return len(e.Attrs[strings.ToLower(name)]) }

// ParseSID decodes a binary objectSid (MS-DTYP 2.4.2.2) into S-1-5-21-...
func ParseSID(b []byte) (string, error) {
	if len(b) < 8 || b[0] != 1 {
		return "", errors.New("objectSid: not a revision-1 SID")
	}
	n := int(b[1])
	if n > 15 || len(b) != 8+4*n {
		return "", fmt.Errorf("objectSid: %d bytes for %d sub-authorities", len(b), n)
	}
	var auth uint64
	for _, c := range b[2:8] {
		auth = auth<<8 | uint64(c)
	}
	var sb strings.Builder
	sb.WriteString("S-1-")
	sb.WriteString(strconv.FormatUint(auth, 10))
	for i := 0; i < n; i++ {
		sb.WriteByte('-')
		sb.WriteString(strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b[8+4*i:])), 10))
	}
	return sb.String(), nil
}

// EncodeSID is ParseSID's inverse, for filters and tests.
func EncodeSID(s string) ([]byte, error) {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || parts[0] != "S" || parts[1] != "1" || len(parts)-3 > 15 {
		return nil, fmt.Errorf("%q is not a SID", s)
	}
	auth, err := strconv.ParseUint(parts[2], 10, 48)
	if err != nil {
		return nil, fmt.Errorf("%q is not a SID", s)
	}
	b := []byte{1, byte(len(parts) - 3), byte(auth >> 40), byte(auth >> 32), byte(auth >> 24), byte(auth >> 16), byte(auth >> 8), byte(auth)}
	for _, p := range parts[3:] {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%q is not a SID", s)
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	return b, nil
}

// rid is the last sub-authority of a SID string.
func rid(sid string) uint32 {
	i := strings.LastIndexByte(sid, '-')
	v, _ := strconv.ParseUint(sid[i+1:], 10, 32)
	return uint32(v)
}

// ParseFileTime reads an AD integer time (100 ns since 1601, as decimal
// text). 0 and the "never" value (max int64) give the zero time.
func ParseFileTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return time.Time{}, fmt.Errorf("%q is not an AD time", s)
	}
	if v == 0 || v == 1<<63-1 {
		return time.Time{}, nil
	}
	return fileTime(uint64(v)), nil
}

// secs1601To1970 is the number of seconds between the FILETIME origin and
// the Unix epoch. time.Duration spans only 292 years, so FILETIMEs are
// converted through Unix seconds, never added to epoch1601 as a Duration.
const secs1601To1970 = 11644473600

func fileTime(v uint64) time.Time {
	return time.Unix(int64(v/10_000_000)-secs1601To1970, int64(v%10_000_000)*100).UTC()
}

// ParseGeneralizedTime reads whenCreated ("20240101120000.0Z").
func ParseGeneralizedTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"20060102150405.0Z", "20060102150405Z", "20060102150405.0Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a generalized time", s)
}

// ParseAccount turns a user or computer entry into an Account. An attribute
// that is present but malformed is an error naming it: a judge must not
// decide on a value the collector could not read.
func ParseAccount(e Entry) (Account, error) {
	a := Account{DN: e.DN, Name: e.str("sAMAccountName"), OS: e.str("operatingSystem"), OSVersion: e.str("operatingSystemVersion"),
		SPNs: e.count("servicePrincipalName"), LAPSLegacy: e.has("ms-Mcs-AdmPwdExpirationTime"), LAPSWindows: e.has("msLAPS-PasswordExpirationTime")}
	sid := e.Attrs["objectsid"]
	if len(sid) == 0 {
		return a, fmt.Errorf("%s: objectSid not readable", e.DN)
	}
	var err error
	if a.SID, err = ParseSID(sid[0]); err != nil {
		return a, fmt.Errorf("%s: %w", e.DN, err)
	}
	a.RID = rid(a.SID)
	uac := e.str("userAccountControl")
	if uac == "" {
		return a, fmt.Errorf("%s: userAccountControl not readable", e.DN)
	}
	u, err := strconv.ParseInt(uac, 10, 64)
	if err != nil || u < 0 || u > 1<<32-1 {
		return a, fmt.Errorf("%s: userAccountControl %q", e.DN, uac)
	}
	a.UAC = uint32(u)
	a.Computer = a.UAC&(uacWorkstation|uacServer) != 0
	if pg := e.str("primaryGroupID"); pg != "" {
		if a.PrimaryGroupID, err = strconv.Atoi(pg); err != nil {
			return a, fmt.Errorf("%s: primaryGroupID %q", e.DN, pg)
		}
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"pwdLastSet", &a.PwdLastSet}, {"lastLogonTimestamp", &a.LastLogon}} {
		if *f.dst, err = ParseFileTime(e.str(f.name)); err != nil {
			return a, fmt.Errorf("%s: %s: %w", e.DN, f.name, err)
		}
	}
	if a.Created, err = ParseGeneralizedTime(e.str("whenCreated")); err != nil {
		return a, fmt.Errorf("%s: whenCreated: %w", e.DN, err)
	}
	return a, nil
}

// attidDSASignature is dSASignature's ATTRTYP (OID 1.2.840.113556.1.2.74:
// prefix 1.2.840.113556.1.2 is index 2 of the default prefix table,
// MS-DRSR 5.16.4).
const attidDSASignature = 0x0002004A

// ParseReplPropertyMetaData finds dSASignature in a replPropertyMetaData
// blob (replPropertyMetaDataBlob version 1: a 16-byte header, then 48-byte
// entries: attid, version, originating time in seconds since 1601, the
// originating invocation GUID and two USNs).
func ParseReplPropertyMetaData(b []byte) (BackupStamp, error) {
	if len(b) < 16 {
		return BackupStamp{}, errors.New("replPropertyMetaData: too short")
	}
	if v := binary.LittleEndian.Uint32(b); v != 1 {
		return BackupStamp{}, fmt.Errorf("replPropertyMetaData: version %d", v)
	}
	n := binary.LittleEndian.Uint32(b[8:])
	if uint64(n)*48 != uint64(len(b)-16) {
		return BackupStamp{}, fmt.Errorf("replPropertyMetaData: %d entries in %d bytes", n, len(b))
	}
	for i := 0; i < int(n); i++ {
		e := b[16+48*i:]
		if binary.LittleEndian.Uint32(e) != attidDSASignature {
			continue
		}
		secs := binary.LittleEndian.Uint64(e[8:])
		if secs > 1<<40 {
			return BackupStamp{}, errors.New("replPropertyMetaData: dSASignature time out of range")
		}
		return BackupStamp{Found: true, Version: int(binary.LittleEndian.Uint32(e[4:])),
			Time: time.Unix(int64(secs)-secs1601To1970, 0).UTC(), Source: "replPropertyMetaData"}, nil
	}
	return BackupStamp{}, nil
}

// ParseReplAttributeMetaData finds dSASignature among the XML values of
// msDS-ReplAttributeMetaData (Windows DCs).
func ParseReplAttributeMetaData(values [][]byte) (BackupStamp, error) {
	for _, v := range values {
		var m struct {
			Name    string `xml:"pszAttributeName"`
			Version int    `xml:"dwVersion"`
			Time    string `xml:"ftimeLastOriginatingChange"`
		}
		if err := xml.Unmarshal(v, &m); err != nil {
			return BackupStamp{}, fmt.Errorf("msDS-ReplAttributeMetaData: %w", err)
		}
		if !strings.EqualFold(m.Name, "dSASignature") {
			continue
		}
		t, err := time.Parse(time.RFC3339, m.Time)
		if err != nil {
			return BackupStamp{}, fmt.Errorf("msDS-ReplAttributeMetaData: dSASignature time %q", m.Time)
		}
		return BackupStamp{Found: true, Version: m.Version, Time: t.UTC(), Source: "msDS-ReplAttributeMetaData"}, nil
	}
	return BackupStamp{}, nil
}
