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

	// Accounts: users (sAMAccountType 805306368) and computers (805306369),
	// one page at a time: each page is parsed and dropped, so memory holds
	// the parsed accounts, not the LDAP messages.
	var direct [][]string // memberOf of each account, same index as Accounts
	err = pagedEach(ctx, s, baseDN, "(|(sAMAccountType=805306368)(sAMAccountType=805306369))", append(accountAttrs, "memberOf"), func(e Entry) error {
		a, err := ParseAccount(e)
		if err != nil {
			return err
		}
		snap.Accounts = append(snap.Accounts, a)
		direct = append(direct, lowerAll(e.Attrs["memberof"]))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lecture des comptes : %w", err)
	}
	if len(snap.Accounts) == 0 {
		return nil, errors.New("aucun compte lisible : le compte de lecture a-t-il les droits de lecture sur l'annuaire ?")
	}

	// Groups and their own memberOf: nesting is resolved here rather than
	// with LDAP_MATCHING_RULE_IN_CHAIN searches, which a DC evaluates entry
	// by entry (tens of seconds per group on 7,000 accounts with Samba).
	parents := map[string][]string{} // group DN (lower case) -> groups it is a member of
	bySID := map[string]string{}     // group SID -> DN
	err = pagedEach(ctx, s, baseDN, "(objectClass=group)", []string{"objectSid", "memberOf"}, func(e Entry) error {
		dn := strings.ToLower(e.DN)
		parents[dn] = lowerAll(e.Attrs["memberof"])
		if sid := e.Attrs["objectsid"]; len(sid) > 0 {
			str, err := ParseSID(sid[0])
			if err != nil {
				return fmt.Errorf("%s : %w", e.DN, err)
			}
			bySID[str] = e.DN
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lecture des groupes : %w", err)
	}
	anc := ancestors(parents)
	// memberships gives, for each account, every group it belongs to:
	// directly, through nesting, and through its primary group.
	memberOf := func(i int) map[string]bool {
		set := map[string]bool{}
		groups := direct[i]
		if pg := snap.Accounts[i].PrimaryGroupID; pg != 0 {
			if dn, ok := bySID[snap.Domain.SID+"-"+strconv.Itoa(pg)]; ok {
				groups = append(groups[:len(groups):len(groups)], strings.ToLower(dn))
			}
		}
		for _, g := range groups {
			for a := range anc(g) {
				set[a] = true
			}
		}
		return set
	}
	targets := map[string]*PrivilegedGroup{}
	for _, p := range privileged {
		sid := groupSID(snap.Domain.SID, p.rid, p.domain)
		if dn, ok := bySID[sid]; ok { // Enterprise and Schema Admins exist only in the forest root domain
			snap.Groups = append(snap.Groups, PrivilegedGroup{Name: p.name, DN: dn, SID: sid})
		}
	}
	if len(snap.Groups) == 0 {
		return nil, errors.New("groupes privilégiés introuvables (Administrateurs, Admins du domaine) : droits de lecture insuffisants ?")
	}
	for i := range snap.Groups {
		targets[strings.ToLower(snap.Groups[i].DN)] = &snap.Groups[i]
	}
	puSID := groupSID(snap.Domain.SID, ridProtectedUsers, true)
	if dn, ok := bySID[puSID]; ok {
		snap.Protected = &PrivilegedGroup{Name: "Protected Users", DN: dn, SID: puSID}
		targets[strings.ToLower(dn)] = snap.Protected
	}
	for i, a := range snap.Accounts {
		if len(direct[i]) == 0 && a.PrimaryGroupID == 0 {
			continue
		}
		for g := range memberOf(i) {
			if t, ok := targets[g]; ok {
				t.Members = append(t.Members, a.DN)
			}
		}
	}

	// LAPS: which attributes the schema knows.
	if snap.Server.SchemaNC != "" {
		err := pagedEach(ctx, s, snap.Server.SchemaNC, "(|(lDAPDisplayName=ms-Mcs-AdmPwdExpirationTime)(lDAPDisplayName=msLAPS-PasswordExpirationTime))",
			[]string{"lDAPDisplayName"}, func(e Entry) error {
				switch strings.ToLower(e.str("lDAPDisplayName")) {
				case "ms-mcs-admpwdexpirationtime":
					snap.LAPS.Legacy = true
				case "mslaps-passwordexpirationtime":
					snap.LAPS.Windows = true
				}
				return nil
			})
		if err != nil {
			return nil, fmt.Errorf("schéma (LAPS) : %w", err)
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

// pagedEach runs a subtree search with the paged results control (RFC
// 2696) and hands each entry to fn as its page arrives, bounded by
// maxEntries. Referrals (other partitions) are not followed.
func pagedEach(ctx context.Context, s Searcher, baseDN, filter string, attrs []string, fn func(Entry) error) error {
	pg := ldap.NewControlPaging(defaultPageSize)
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := s.Search(ldap.NewSearchRequest(baseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
			filter, attrs, []ldap.Control{pg}))
		if err != nil {
			return err
		}
		for _, e := range res.Entries {
			if n++; n > maxEntries {
				return fmt.Errorf("plus de %d entrées, lecture arrêtée", maxEntries)
			}
			if err := fn(toEntry(e)); err != nil {
				return err
			}
		}
		ctrl, ok := ldap.FindControl(res.Controls, ldap.ControlTypePaging).(*ldap.ControlPaging)
		if !ok || len(ctrl.Cookie) == 0 {
			return nil
		}
		pg.SetCookie(ctrl.Cookie)
	}
}

// ancestors returns a memoised function giving a group and every group it
// is nested in, by breadth-first walk (cycles, which AD allows, end the
// walk, not the answer).
func ancestors(parents map[string][]string) func(string) map[string]bool {
	memo := map[string]map[string]bool{}
	return func(g string) map[string]bool {
		if m, ok := memo[g]; ok {
			return m
		}
		set := map[string]bool{g: true}
		queue := []string{g}
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			for _, p := range parents[cur] {
				if !set[p] {
					set[p] = true
					queue = append(queue, p)
				}
			}
		}
		memo[g] = set
		return set
	}
}

func lowerAll(vs [][]byte) []string {
	if len(vs) == 0 {
		return nil
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strings.ToLower(string(v))
	}
	return out
}

func toEntry(e *ldap.Entry) Entry {
	en := Entry{DN: e.DN, Attrs: make(map[string][][]byte, len(e.Attributes))}
	for _, a := range e.Attributes {
		en.Attrs[strings.ToLower(a.Name)] = a.ByteValues
	}
	return en
}
