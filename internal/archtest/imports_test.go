package archtest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// layers ranks the project's top-level folders. Dependencies point one way,
// down the ranks: cmd → agent/hub → report → checks → protocol. A package
// may import its own folder's packages or a lower rank; agent and hub share
// a rank, so neither imports the other (they meet only in protocol).
var layers = map[string]int{
	"protocol":  0, // the agent–hub contract: imports no other project package
	"checks":    1, // the check model, the runner, the families
	"report":    2, // scoring and rendering of scorecards
	"agent":     3,
	"hub":       3,
	"installer": 4, // installs and runs the agent as a service
	"cmd":       5,
	"bench":     5,
	"tools":     5,
	"internal":  5, // test tooling (this package)
}

// tree is the top-level folder of a project package ("checks" for
// github.com/vigie-cyber/vigie/checks/tls), or "" outside the project.
func tree(path string) string {
	rest, ok := strings.CutPrefix(path, Module+"/")
	if !ok {
		return ""
	}
	top, _, _ := strings.Cut(rest, "/")
	return top
}

// importRule says why from may not import to, or "" when it may.
func importRule(from, to string) string {
	ft, tt := tree(from), tree(to)
	if tt == "" || ft == tt {
		return ""
	}
	fr, ok1 := layers[ft]
	tr, ok2 := layers[tt]
	switch {
	case !ok1:
		return fmt.Sprintf("folder %s/ has no layer: add it to layers", ft)
	case !ok2:
		return fmt.Sprintf("folder %s/ has no layer: add it to layers", tt)
	case tr >= fr:
		return fmt.Sprintf("%s/ (layer %d) may import only lower layers, not %s/ (layer %d)", ft, fr, tt, tr)
	}
	return ""
}

func TestImportRule(t *testing.T) {
	t.Parallel()
	m := func(p string) string { return Module + "/" + p }
	for _, tc := range []struct {
		from, to string
		ok       bool
	}{
		{m("cmd/vigie"), m("agent"), true},
		{m("hub/web"), m("report"), true},
		{m("report"), m("checks"), true},
		{m("checks/tls"), m("checks"), true},
		{m("checks/tls"), m("protocol"), true},
		{m("checks/tls"), "golang.org/x/crypto/ocsp", true},
		{m("protocol"), m("checks"), false},
		{m("checks"), m("report"), false},
		{m("checks/registry"), m("agent/keystore"), false},
		{m("checks/dns"), m("hub/store"), false},
		{m("report"), m("agent"), false},
		{m("report"), m("hub/store"), false},
		{m("hub/web"), m("agent"), false},
		{m("agent"), m("hub/api"), false},
		{m("agent"), m("cmd/vigie"), false},
		{m("newfolder/x"), m("protocol"), false},
	} {
		if got := importRule(tc.from, tc.to) == ""; got != tc.ok {
			t.Errorf("%s imports %s: allowed = %v, want %v", tc.from, tc.to, got, tc.ok)
		}
	}
}

// TestImportsPointOneWay walks the real import graph (non-test imports, on
// Linux and on Windows since build tags change it).
func TestImportsPointOneWay(t *testing.T) {
	t.Parallel()
	root := Root(t)
	for _, goos := range []string{"linux", "windows"} {
		pkgs := List(t, root, goos, "./...")
		if len(pkgs) < 20 {
			t.Fatalf("%s: go list found %d packages; is the module root right?", goos, len(pkgs))
		}
		for _, p := range pkgs {
			for _, imp := range p.Imports {
				if why := importRule(p.ImportPath, imp); why != "" {
					t.Errorf("%s: %s imports %s: %s", goos, p.ImportPath, imp, why)
				}
			}
		}
	}
}

// TestCheckModelLinksNoOS: importing package checks (the model and the
// runner: what report and the hub need) must not link the live host
// implementation, which lives in checks/livehost.
func TestCheckModelLinksNoOS(t *testing.T) {
	t.Parallel()
	root := Root(t)
	for _, goos := range []string{"linux", "windows"} {
		pkgs := List(t, root, goos, "-deps", Module+"/checks")
		for _, p := range pkgs {
			for _, bad := range []string{"os/exec", "github.com/shirou/gopsutil", "golang.org/x/sys/windows/registry"} {
				if p.ImportPath == bad || strings.HasPrefix(p.ImportPath, bad+"/") {
					t.Errorf("%s: package checks depends on %s", goos, p.ImportPath)
				}
			}
		}
	}
}

// TestCatalogueIsDataOnly: the guidance catalogue (checks/catalogue and the
// families' guidance sub-packages) reaches no check family, so a program
// that only shows advice does not link the checks.
func TestCatalogueIsDataOnly(t *testing.T) {
	t.Parallel()
	root := Root(t)
	pkgs := List(t, root, "", "-deps", Module+"/checks/catalogue")
	var guidance int
	for _, p := range pkgs {
		if tree(p.ImportPath) == "" {
			continue
		}
		rel := strings.TrimPrefix(p.ImportPath, Module+"/")
		switch {
		case rel == "checks", rel == "checks/catalogue", tree(p.ImportPath) == "protocol":
		case strings.HasPrefix(rel, "checks/") && strings.HasSuffix(rel, "/guidance"):
			guidance++
		default:
			t.Errorf("checks/catalogue depends on %s, which is not data", rel)
		}
	}
	// Every family folder beside checks/registry has a guidance package.
	families := List(t, root, "", Module+"/checks/registry")[0].Imports
	var want int
	for _, imp := range families {
		rel := strings.TrimPrefix(imp, Module+"/")
		if strings.HasPrefix(rel, "checks/") && !slices.Contains([]string{"checks/checkstest"}, rel) {
			want++
		}
	}
	if want == 0 || guidance != want {
		t.Errorf("checks/catalogue reads %d guidance packages; checks/registry lists %d families", guidance, want)
	}
}
