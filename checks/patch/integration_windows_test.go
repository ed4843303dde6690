//go:build windows

package patch

import (
	"context"
	"testing"
	"time"

	"golang.org/x/sys/windows"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/livehost"
	"github.com/vigie-cyber/vigie/protocol"
)

func underWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}

// TestLiveWindows runs the family on this Windows host. Every check must
// give a result with evidence; under Wine, whose PowerShell prints nothing,
// nothing that depends on Windows Update may pass.
func TestLiveWindows(t *testing.T) {
	t.Parallel()
	res := checks.RunAll(context.Background(), livehost.New(), Checks(), checks.RunOptions{Timeout: 5 * time.Minute})
	for _, r := range res {
		t.Logf("%s: %s — %s", r.ID, r.Status, r.Evidence.EN)
		if r.Evidence.EN == "" || r.Evidence.FR == "" {
			t.Errorf("%s: no evidence", r.ID)
		}
		switch r.Status {
		case protocol.Pass, protocol.Fail, protocol.Warn, protocol.NotApplicable, protocol.Error:
		default:
			t.Errorf("%s: status %q", r.ID, r.Status)
		}
		if underWine() && (r.ID == IDPending || r.ID == IDSecurityPending) && r.Status != protocol.Error {
			t.Errorf("under Wine %s must be an error, got %s", r.ID, r.Status)
		}
	}
}
