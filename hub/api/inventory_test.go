package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigie-cyber/vigie/hub/hubtest"
	"github.com/vigie-cyber/vigie/protocol"
)

// TestInventoryExchange drives the inventory protocol through the real
// API: a scorecard naming an inventory the hub lacks is stored and the
// reply asks for it; the full one is kept once and shared; one that does
// not decode is asked for again and its scorecard still kept; declared
// assets are kept clipped.
func TestInventoryExchange(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		h := newHub(t, dsn, nil)
		a, b := hubtest.NewAgent(41, 0.5), hubtest.NewAgent(42, 0.5)
		a.Packages, b.Packages = 300, 300
		for _, x := range []*hubtest.Agent{a, b} {
			r, err := x.Enroll(ctx, h.client, h.url, h.token(t, "Mairie de Plouguerneau", time.Hour))
			expect(t, "enrol", r, err, 201, "")
		}
		upload := func(x *hubtest.Agent, full bool, edit func(*protocol.Scorecard)) hubtest.Response {
			t.Helper()
			sc := x.Next(t0.Add(time.Duration(x.Seq) * time.Hour))
			if !full {
				sc.Software = nil
			}
			if edit != nil {
				edit(sc)
			}
			r, err := x.Upload(ctx, h.client, h.url, x.Sign(sc))
			expect(t, "upload", r, err, 201, "")
			return r
		}
		asked := func(r hubtest.Response) bool { v, _ := r.Body["send_inventory"].(bool); return v }

		if r := upload(a, false, nil); !asked(r) {
			t.Errorf("hash of an inventory the hub lacks: reply %v, want send_inventory", r.Body)
		}
		if r := upload(a, true, func(sc *protocol.Scorecard) {
			sc.Assets = []protocol.Asset{{Vendor: "Fortinet", Product: "FortiGate", Version: "7.4.5", Name: "pare-feu\x1b[31m"}, {Vendor: "QNAP"}}
		}); asked(r) {
			t.Errorf("full inventory: reply %v asks again", r.Body)
		}
		if r := upload(a, false, nil); asked(r) {
			t.Errorf("known hash alone: reply %v asks for it", r.Body)
		}
		if r := upload(b, false, nil); asked(r) {
			t.Errorf("another host with the same inventory: reply %v asks for it", r.Body)
		}
		hi, err := h.st.HostInventory(ctx, b.ID, "")
		if err != nil || hi.Current == nil || len(hi.Current.Packages) != 300 {
			t.Fatalf("b's inventory = %+v, %v", hi, err)
		}
		if hi.Current.SHA256 != protocol.SoftwareSHA256(hi.Current.Packages) {
			t.Error("stored inventory does not hash to its name")
		}
		// A changed inventory under another host's name: the hub holds
		// that name, so it does not even read the list; b's inventory
		// cannot be changed by a's uploads.
		upload(a, true, func(sc *protocol.Scorecard) { sc.Software[0].Version = "9.9" })
		hi, _ = h.st.HostInventory(ctx, b.ID, "")
		if hi.Current.SHA256 != protocol.SoftwareSHA256(hi.Current.Packages) || hi.Current.Packages[0].Version == "9.9" {
			t.Errorf("b's inventory changed by a's upload: %s %v", hi.Current.SHA256, hi.Current.Packages[0])
		}
		// A changed inventory whose name is not the hub's hash of it (a
		// newer agent's fields): kept under the hub's name, current for a,
		// and a's own name for it then suffices.
		var name string
		if r := upload(a, true, func(sc *protocol.Scorecard) {
			sc.Software[0].Version = "9.9"
			sc.SoftwareSHA256 = strings.Repeat("cd", 32)
			name = sc.SoftwareSHA256
		}); asked(r) {
			t.Errorf("full inventory under a name of its own: reply %v asks again", r.Body)
		}
		hi, _ = h.st.HostInventory(ctx, a.ID, "")
		if hi.Current == nil || hi.Current.Packages[0].Version != "9.9" || hi.Current.SHA256 != protocol.SoftwareSHA256(hi.Current.Packages) || hi.Previous == nil {
			t.Errorf("a's inventory after a change = %+v", hi)
		}
		if r := upload(a, false, func(sc *protocol.Scorecard) { sc.SoftwareSHA256 = name }); asked(r) {
			t.Errorf("a's own name again: reply %v asks for it", r.Body)
		}
		if r := upload(b, false, func(sc *protocol.Scorecard) { sc.SoftwareSHA256 = name }); !asked(r) {
			t.Errorf("a's name given by b: reply %v, want send_inventory", r.Body)
		}
		// An inventory that does not decode: the scorecard is kept, the
		// inventory asked for again.
		sc := a.Next(t0.Add(100 * time.Hour))
		sc.SoftwareSHA256 = strings.Repeat("ab", 32)
		sc.Software = nil
		payload, _ := json.Marshal(sc)
		payload = append(payload[:len(payload)-1], []byte(`,"software":5}`)...)
		r, err := a.Upload(ctx, h.client, h.url, a.SignPayload(payload))
		expect(t, "undecodable inventory", r, err, 201, "")
		if !asked(r) {
			t.Errorf("undecodable inventory: reply %v, want send_inventory", r.Body)
		}
		e, _ := h.st.EnsureEntity(ctx, "Mairie de Plouguerneau", "")
		assets, err := h.st.DeclaredAssets(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		// The latest scorecard declares none: only b's (none) and a's
		// latest count; a's last scorecard had none.
		if len(assets) != 0 {
			t.Errorf("assets after scorecards without any: %+v", assets)
		}
		upload(b, false, func(sc *protocol.Scorecard) {
			sc.Assets = []protocol.Asset{{Vendor: "Fortinet", Product: "FortiGate", Version: "7.4.5", Name: "pare-feu\x1b[31m"}, {Vendor: "QNAP"}}
		})
		assets, _ = h.st.DeclaredAssets(ctx, e.ID)
		if len(assets) != 1 || assets[0].Name != "pare-feu [31m" || assets[0].AgentID != b.ID {
			t.Errorf("declared assets = %+v; want the FortiGate, its name without the escape, the one without product left out", assets)
		}
	})
}
