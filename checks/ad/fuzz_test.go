package ad

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// FuzzParseSID: whatever parses re-encodes to the same bytes.
func FuzzParseSID(f *testing.F) {
	b, _ := EncodeSID("S-1-5-21-3510317065-2144368817-1424760687-500")
	f.Add(b)
	f.Add([]byte{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 32, 2, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := ParseSID(in)
		if err != nil {
			return
		}
		back, err := EncodeSID(s)
		if err != nil || !bytes.Equal(back, in) {
			t.Fatalf("%x -> %s -> %x, %v", in, s, back, err)
		}
	})
}

// FuzzParseAccount: an account that parses keeps the entry's DN and SID,
// and a computer flag that matches its userAccountControl.
func FuzzParseAccount(f *testing.F) {
	sid, _ := EncodeSID("S-1-5-21-1-2-3-1105")
	f.Add(sid, "528384", "134405503416821980", "20240101120000.0Z", "515")
	f.Add(sid, "512", "0", "", "")
	f.Fuzz(func(t *testing.T, sid []byte, uac, pwd, created, pg string) {
		e := Entry{DN: "CN=x", Attrs: map[string][][]byte{"objectsid": {sid}, "useraccountcontrol": {[]byte(uac)},
			"pwdlastset": {[]byte(pwd)}, "whencreated": {[]byte(created)}, "primarygroupid": {[]byte(pg)}}}
		a, err := ParseAccount(e)
		if err != nil {
			return
		}
		if a.DN != "CN=x" || a.Computer != (a.UAC&(uacWorkstation|uacServer) != 0) || !strings.HasPrefix(a.SID, "S-1-") {
			t.Fatalf("inconsistent account %+v", a)
		}
	})
}

// FuzzReplPropertyMetaData: a stamp is found only in a well-formed blob
// that really has a dSASignature entry carrying that version.
func FuzzReplPropertyMetaData(f *testing.F) {
	f.Add(metaBlob([3]uint64{attidDSASignature, 3, 13400000000}))
	f.Add(metaBlob([3]uint64{1, 1, 1}))
	f.Fuzz(func(t *testing.T, in []byte) {
		st, err := ParseReplPropertyMetaData(in)
		if err != nil || !st.Found {
			return
		}
		n := int(binary.LittleEndian.Uint32(in[8:]))
		for i := 0; i < n; i++ {
			e := in[16+48*i:]
			if binary.LittleEndian.Uint32(e) == attidDSASignature {
				if int(binary.LittleEndian.Uint32(e[4:])) != st.Version {
					t.Fatalf("version %d, entry says %d", st.Version, binary.LittleEndian.Uint32(e[4:]))
				}
				return
			}
		}
		t.Fatal("found a stamp the blob does not hold")
	})
}

// FuzzReplAttributeMetaData: a stamp found names dSASignature in its input.
func FuzzReplAttributeMetaData(f *testing.F) {
	f.Add([]byte("<DS_REPL_ATTR_META_DATA><pszAttributeName>dSASignature</pszAttributeName><dwVersion>2</dwVersion><ftimeLastOriginatingChange>2026-01-01T00:00:00Z</ftimeLastOriginatingChange></DS_REPL_ATTR_META_DATA>"))
	f.Fuzz(func(t *testing.T, in []byte) {
		st, err := ParseReplAttributeMetaData([][]byte{in})
		if err == nil && st.Found && !bytes.Contains(bytes.ToLower(in), []byte("dsasignature")) {
			t.Fatalf("stamp %+v from input without dSASignature", st)
		}
	})
}

// FuzzFindCpasswords: never more findings than cpassword attributes in the
// input, and each finding names an element.
func FuzzFindCpasswords(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0" encoding="utf-8"?><Groups><User name="a"><Properties cpassword="abc" userName="a"/></User></Groups>`))
	f.Add([]byte(`<ScheduledTasks><Task><Properties runAs="x" cpassword=""/></Task></ScheduledTasks>`))
	f.Fuzz(func(t *testing.T, in []byte) {
		found, err := FindCpasswords(in)
		if err != nil {
			return
		}
		if n := bytes.Count(bytes.ToLower(in), []byte("cpassword")); len(found) > n {
			t.Fatalf("%d findings from %d cpassword attributes", len(found), n)
		}
		for _, g := range found {
			if g.Element == "" {
				t.Fatal("finding without element")
			}
		}
	})
}

// FuzzParseTestparm: keys come out lower-cased and space-normalised, values
// trimmed.
func FuzzParseTestparm(f *testing.F) {
	f.Add([]byte("[global]\n\tserver role = active directory domain controller\n\tNTLM  Auth = Yes\n[sysvol]\n path = /x\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		for sec, kv := range ParseTestparm(in) {
			if sec != strings.ToLower(sec) {
				t.Fatalf("section %q not lower-cased", sec)
			}
			for k, v := range kv {
				if k != strings.Join(strings.Fields(strings.ToLower(k)), " ") || v != strings.TrimSpace(v) {
					t.Fatalf("key %q value %q not normalised", k, v)
				}
			}
		}
	})
}
