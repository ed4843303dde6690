package ad

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/vigie-cyber/vigie/checks"
)

// accountAttrs are the only attributes read from accounts: what the checks
// judge, nothing else about people (README, privacy).
var accountAttrs = []string{"sAMAccountName", "objectSid", "userAccountControl", "primaryGroupID", "pwdLastSet",
	"lastLogonTimestamp", "whenCreated", "servicePrincipalName", "operatingSystem", "operatingSystemVersion",
	"ms-Mcs-AdmPwdExpirationTime", "msLAPS-PasswordExpirationTime"}

// privileged lists the groups ANSSI's control points treat as privileged,
// by well-known SID (names are localised: "Admins du domaine").
var privileged = []struct {
	name   string
	rid    uint32
	domain bool // a domain-relative RID; otherwise a BUILTIN alias S-1-5-32-rid
}{
	{"Domain Admins", ridDomainAdmins, true},
	{"Enterprise Admins", ridEnterpriseAdmins, true},
	{"Schema Admins", ridSchemaAdmins, true},
	{"Administrators", 544, false},
	{"Account Operators", 548, false},
	{"Server Operators", 549, false},
	{"Print Operators", 550, false},
	{"Backup Operators", 551, false},
}

// Collect connects, binds and reads the directory into a Snapshot.
func Collect(ctx context.Context, d checks.Dialer, cfg *Config, now time.Time) (*Snapshot, error) {
	conn, err := Connect(ctx, d, cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return Read(ctx, conn, cfg.BaseDN, now)
}

// Connect opens and binds an LDAP connection as cfg says. Simple binds go
// only over TLS (LDAPS, or StartTLS on ldap://): a password never crosses
// the network in clear.
func Connect(ctx context.Context, d checks.Dialer, cfg *Config) (*ldap.Conn, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "ldaps" && u.Scheme != "ldap") || u.Hostname() == "" {
		return nil, fmt.Errorf("adresse d'annuaire %q invalide (ldaps://hôte ou ldap://hôte)", cfg.URL)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = defaultLDAPPort
		if u.Scheme == "ldaps" {
			port = defaultLDAPSPort
		}
	}
	if d == nil {
		d = &net.Dialer{}
	}
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	raw, err := d.DialContext(dctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, fmt.Errorf("connexion à %s : %w", cfg.URL, err)
	}
	tlsCfg := &tls.Config{ServerName: host, RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12}
	var conn *ldap.Conn
	if u.Scheme == "ldaps" {
		tc := tls.Client(raw, tlsCfg)
		if err := tc.HandshakeContext(dctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("LDAPS %s : %w", cfg.URL, err)
		}
		conn = ldap.NewConn(tc, true)
	} else {
		conn = ldap.NewConn(raw, false)
	}
	conn.Start()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetTimeout(time.Until(dl))
	}
	switch cfg.Bind {
	case bindSimple:
		if u.Scheme == "ldap" {
			if err := conn.StartTLS(tlsCfg); err != nil {
				conn.Close()
				return nil, fmt.Errorf("StartTLS %s : %w", cfg.URL, err)
			}
		}
		if cfg.User == "" || cfg.Password == "" {
			conn.Close()
			return nil, errors.New("bind simple : utilisateur ou mot de passe vide")
		}
		if err := conn.Bind(cfg.User, cfg.Password); err != nil {
			conn.Close()
			return nil, fmt.Errorf("authentification de %s : %w", cfg.User, err)
		}
	case bindKerberos:
		if err := kerberosBind(conn, host); err != nil {
			conn.Close()
			return nil, err
		}
	default:
		conn.Close()
		return nil, fmt.Errorf("bind %q inconnu (simple ou kerberos)", cfg.Bind)
	}
	return conn, nil
}

// Searcher is the part of *ldap.Conn the reader uses.
type Searcher interface {
	Search(*ldap.SearchRequest) (*ldap.SearchResult, error)
	SearchWithPaging(*ldap.SearchRequest, uint32) (*ldap.SearchResult, error)
}

// Read reads the directory through s. baseDN empty: defaultNamingContext.
func Read(ctx context.Context, s Searcher, baseDN string, now time.Time) (*Snapshot, error) {
	snap := &Snapshot{ReadAt: now}
	root, err := base(s, "", "defaultNamingContext", "configurationNamingContext", "schemaNamingContext",
		"dnsHostName", "vendorName", "domainFunctionality", "forestFunctionality")
	if err != nil {
		return nil, fmt.Errorf("rootDSE : %w", err)
	}
	snap.Server = Server{Vendor: root.str("vendorName"), DNSHostName: root.str("dnsHostName"),
		DefaultNC: root.str("defaultNamingContext"), ConfigNC: root.str("configurationNamingContext"), SchemaNC: root.str("schemaNamingContext")}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"domainFunctionality", &snap.Server.DomainFunctionality}, {"forestFunctionality", &snap.Server.ForestFunctionality}} {
		v := root.str(f.name)
		if v == "" {
			return nil, fmt.Errorf("rootDSE : %s illisible", f.name)
		}
		if *f.dst, err = strconv.Atoi(v); err != nil {
			return nil, fmt.Errorf("rootDSE : %s %q", f.name, v)
		}
	}
	if baseDN == "" {
		baseDN = snap.Server.DefaultNC
	}
	if baseDN == "" {
		return nil, errors.New("rootDSE : defaultNamingContext illisible et base_dn non renseigné")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dom, err := base(s, baseDN, "objectSid", "ms-DS-MachineAccountQuota", "replPropertyMetaData", "msDS-ReplAttributeMetaData")
	if err != nil {
		return nil, fmt.Errorf("%s : %w", baseDN, err)
	}
	snap.Domain.DN = baseDN
	if sid := dom.Attrs["objectsid"]; len(sid) > 0 {
		if snap.Domain.SID, err = ParseSID(sid[0]); err != nil {
			return nil, fmt.Errorf("%s : %w", baseDN, err)
		}
	} else {
		return nil, fmt.Errorf("%s : objectSid illisible", baseDN)
	}
	if v := dom.str("ms-DS-MachineAccountQuota"); v != "" {
		q, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("ms-DS-MachineAccountQuota %q", v)
		}
		snap.Domain.MachineAccountQuota = &q
	}
	if xmlv := dom.Attrs["msds-replattributemetadata"]; len(xmlv) > 0 {
		if snap.Domain.Backup, err = ParseReplAttributeMetaData(xmlv); err != nil {
			return nil, err
		}
	}
	if b := dom.Attrs["replpropertymetadata"]; !snap.Domain.Backup.Found && len(b) > 0 {
		if snap.Domain.Backup, err = ParseReplPropertyMetaData(b[0]); err != nil {
			return nil, err
		}
	}

	// Accounts: users (sAMAccountType 805306368) and computers (805306369).
	entries, err := paged(ctx, s, baseDN, "(|(sAMAccountType=805306368)(sAMAccountType=805306369))", accountAttrs)
	if err != nil {
		return nil, fmt.Errorf("lecture des comptes : %w", err)
	}
	snap.Accounts = make([]Account, 0, len(entries))
	for _, e := range entries {
		a, err := ParseAccount(e)
		if err != nil {
			return nil, err
		}
		snap.Accounts = append(snap.Accounts, a)
	}
	if len(snap.Accounts) == 0 {
		return nil, errors.New("aucun compte lisible : le compte de lecture a-t-il les droits de lecture sur l'annuaire ?")
	}

	// Privileged groups by SID, then their members through nesting
	// (LDAP_MATCHING_RULE_IN_CHAIN) and through primaryGroupID.
	var sids []string
	for _, p := range privileged {
		sids = append(sids, groupSID(snap.Domain.SID, p.rid, p.domain))
	}
	sids = append(sids, groupSID(snap.Domain.SID, ridProtectedUsers, true))
	var filter strings.Builder
	filter.WriteString("(&(objectClass=group)(|")
	for _, sid := range sids {
		b, _ := EncodeSID(sid)
		filter.WriteString("(objectSid=" + ldap.EscapeFilter(string(b)) + ")")
	}
	filter.WriteString("))")
	groups, err := paged(ctx, s, baseDN, filter.String(), []string{"objectSid"})
	if err != nil {
		return nil, fmt.Errorf("lecture des groupes privilégiés : %w", err)
	}
	byRID := map[string]Entry{}
	for _, g := range groups {
		if sid := g.Attrs["objectsid"]; len(sid) > 0 {
			if str, err := ParseSID(sid[0]); err == nil {
				byRID[str] = g
			}
		}
	}
	members := func(g Entry, sid string, domainRID uint32) ([]string, error) {
		es, err := paged(ctx, s, baseDN, "(&(|(sAMAccountType=805306368)(sAMAccountType=805306369))(memberOf:1.2.840.113556.1.4.1941:="+
			ldap.EscapeFilter(g.DN)+"))", []string{"1.1"})
		if err != nil {
			return nil, fmt.Errorf("membres de %s : %w", g.DN, err)
		}
		seen := map[string]bool{}
		var out []string
		for _, e := range es {
			if !seen[strings.ToLower(e.DN)] {
				seen[strings.ToLower(e.DN)] = true
				out = append(out, e.DN)
			}
		}
		if domainRID != 0 {
			for _, a := range snap.Accounts {
				if a.PrimaryGroupID == int(domainRID) && !seen[strings.ToLower(a.DN)] {
					seen[strings.ToLower(a.DN)] = true
					out = append(out, a.DN)
				}
			}
		}
		return out, nil
	}
	for _, p := range privileged {
		sid := groupSID(snap.Domain.SID, p.rid, p.domain)
		g, ok := byRID[sid]
		if !ok {
			continue // Enterprise and Schema Admins exist only in the forest root domain
		}
		var prid uint32
		if p.domain {
			prid = p.rid
		}
		m, err := members(g, sid, prid)
		if err != nil {
			return nil, err
		}
		snap.Groups = append(snap.Groups, PrivilegedGroup{Name: p.name, DN: g.DN, SID: sid, Members: m})
	}
	if len(snap.Groups) == 0 {
		return nil, errors.New("groupes privilégiés introuvables (Administrateurs, Admins du domaine) : droits de lecture insuffisants ?")
	}
	puSID := groupSID(snap.Domain.SID, ridProtectedUsers, true)
	if g, ok := byRID[puSID]; ok {
		m, err := members(g, puSID, 0)
		if err != nil {
			return nil, err
		}
		snap.Protected = &PrivilegedGroup{Name: "Protected Users", DN: g.DN, SID: puSID, Members: m}
	}

	// LAPS: which attributes the schema knows.
	if snap.Server.SchemaNC != "" {
		es, err := paged(ctx, s, snap.Server.SchemaNC, "(|(lDAPDisplayName=ms-Mcs-AdmPwdExpirationTime)(lDAPDisplayName=msLAPS-PasswordExpirationTime))",
			[]string{"lDAPDisplayName"})
		if err != nil {
			return nil, fmt.Errorf("schéma (LAPS) : %w", err)
		}
		for _, e := range es {
			switch strings.ToLower(e.str("lDAPDisplayName")) {
			case "ms-mcs-admpwdexpirationtime":
				snap.LAPS.Legacy = true
			case "mslaps-passwordexpirationtime":
				snap.LAPS.Windows = true
			}
		}
	}
	// Recycle bin: the optional feature listed on the Partitions container.
	if snap.Server.ConfigNC != "" {
		p, err := base(s, "CN=Partitions,"+snap.Server.ConfigNC, "msDS-EnabledFeature")
		if err != nil {
			return nil, fmt.Errorf("CN=Partitions (corbeille AD) : %w", err)
		}
		for _, v := range p.Attrs["msds-enabledfeature"] {
			if strings.HasPrefix(strings.ToLower(string(v)), "cn=recycle bin feature,") {
				snap.RecycleBin = true
			}
		}
	}
	return snap, nil
}

func groupSID(domainSID string, rid uint32, domain bool) string {
	if domain {
		return domainSID + "-" + strconv.FormatUint(uint64(rid), 10)
	}
	return "S-1-5-32-" + strconv.FormatUint(uint64(rid), 10)
}

func base(s Searcher, dn string, attrs ...string) (Entry, error) {
	res, err := s.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 30, false,
		"(objectClass=*)", attrs, nil))
	if err != nil {
		return Entry{}, err
	}
	if len(res.Entries) != 1 {
		return Entry{}, fmt.Errorf("%d entrées pour une lecture de base", len(res.Entries))
	}
	return toEntry(res.Entries[0]), nil
}

// paged runs a subtree search with the paged results control, bounded by
// maxEntries. Referrals (other partitions) are not followed.
func paged(ctx context.Context, s Searcher, baseDN, filter string, attrs []string) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res, err := s.SearchWithPaging(ldap.NewSearchRequest(baseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, maxEntries, 0, false,
		filter, attrs, nil), defaultPageSize)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(res.Entries))
	for _, e := range res.Entries {
		out = append(out, toEntry(e))
	}
	return out, nil
}

func toEntry(e *ldap.Entry) Entry {
	en := Entry{DN: e.DN, Attrs: make(map[string][][]byte, len(e.Attributes))}
	for _, a := range e.Attributes {
		en.Attrs[strings.ToLower(a.Name)] = a.ByteValues
	}
	return en
}
