// Package patch holds the OS patching checks: pending and security updates
// (apt, dnf/yum, Windows Update), days since the last update, pending
// reboot, automatic updates and the operating system's end of support
// (the software inventory is checks/inventory). ANSSI hygiene guide measures 34 and 35,
// CIS Controls v8 IG1 2.2, 7.3 and 7.4, NIS2 art. 21(2)(e).
package patch

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/protocol"
)

// Check IDs.
const (
	IDPending         = "patch.pending-updates"
	IDSecurityPending = "patch.security-pending"
	IDLastUpdate      = "patch.last-update"
	IDRebootPending   = "patch.reboot-pending"
	IDAutoUpdates     = "patch.auto-updates"
	IDOSSupport       = "patch.os-support"
)

// Thresholds, published in the evidence so a score can be explained.
const (
	// pendingFail is the backlog above which pending updates fail rather
	// than warn: updates are then plainly not being applied.
	pendingFail = 50
	// lastUpdateWarn and lastUpdateFail follow ANSSI measure 34 (security
	// patches applied within one month).
	lastUpdateWarn = 14
	lastUpdateFail = 30
	// listsStale is the age beyond which apt's package lists are too old
	// to trust an empty pending list.
	listsStale = 7
)

// collectTimeout covers dnf refreshing its metadata and a Windows Update
// search, both of which can take minutes.
const collectTimeout = 3 * time.Minute

var (
	refsPatch = protocol.Refs{ANSSI: []int{34}, CIS: []string{"7.3", "7.4"}, NIS2: []string{"e"}}
)

// Checks returns the patch family's checks. They share one collection per
// host (apt-get -s, dnf, the Windows Update search run once per scan).
func Checks() []checks.Check {
	f := &family{memo: map[memoKey]*memoEntry{}}
	return []checks.Check{
		// Pending updates: a host that does not install what its vendor
		// publishes keeps known flaws. ANSSI 34, CIS 7.3/7.4, NIS2 (e).
		checks.Func{M: checks.Meta{ID: IDPending, Version: 1, Domain: protocol.DomainPatch, Severity: protocol.Medium,
			Refs: refsPatch, Timeout: collectTimeout}, F: f.pendingUpdates},
		// Pending security updates: each one is a published, often
		// exploited, vulnerability. ANSSI 34, CIS 7.3/7.4, NIS2 (e).
		checks.Func{M: checks.Meta{ID: IDSecurityPending, Version: 1, Domain: protocol.DomainPatch, Severity: protocol.High,
			Refs: refsPatch, Timeout: collectTimeout}, F: f.securityPending},
		// Days since the last update: ANSSI 34 asks for security patches
		// within one month. CIS 7.3, NIS2 (e).
		checks.Func{M: checks.Meta{ID: IDLastUpdate, Version: 1, Domain: protocol.DomainPatch, Severity: protocol.Medium,
			Refs: refsPatch, Timeout: collectTimeout}, F: f.lastUpdate},
		// Reboot pending: installed fixes to the kernel or core libraries
		// are not active until the restart. ANSSI 34, CIS 7.3, NIS2 (e).
		checks.Func{M: checks.Meta{ID: IDRebootPending, Version: 1, Domain: protocol.DomainPatch, Severity: protocol.Medium,
			Refs: protocol.Refs{ANSSI: []int{34}, CIS: []string{"7.3"}, NIS2: []string{"e"}}}, F: f.rebootPending},
		// Automatic updates: without them patching depends on someone
		// remembering. ANSSI 34, CIS 7.3/7.4, NIS2 (e).
		checks.Func{M: checks.Meta{ID: IDAutoUpdates, Version: 1, Domain: protocol.DomainPatch, Severity: protocol.Medium,
			Refs: refsPatch}, F: f.autoUpdates},
		// End of support: an unsupported system gets no fixes at all and
		// must be isolated or replaced. ANSSI 35, CIS 2.2, NIS2 (e).
		checks.Func{M: checks.Meta{ID: IDOSSupport, Version: 1, Domain: protocol.DomainPatch, Severity: protocol.Critical,
			Refs: protocol.Refs{ANSSI: []int{35}, CIS: []string{"2.2"}, NIS2: []string{"e"}}}, F: f.osSupport},
		// Office end of support (Windows): Office 2016 and 2019 got their
		// last fix on 2025-10-14, while opening every attachment. ANSSI 35,
		// CIS 2.2, NIS2 (e). See office.go.
		checks.Func{M: checks.Meta{ID: IDOfficeSupport, Version: 1, Domain: protocol.DomainPatch, Severity: protocol.High,
			Refs: protocol.Refs{ANSSI: []int{35}, CIS: []string{"2.2"}, NIS2: []string{"e"}}, OS: []string{"windows"}}, F: officeSupport},
	}
}

// family holds what its checks share during one scan: collections made
// once per host. It is created by Checks, never global.
type family struct {
	mu   sync.Mutex
	memo map[memoKey]*memoEntry
}

type memoKey struct {
	h    *checks.Host
	what string
}

type memoEntry struct {
	done chan struct{}
	at   time.Time
	val  any
	err  error
}

// memoTTL bounds how long a collection is reused, in case a caller keeps
// one check list for several scans.
const memoTTL = 10 * time.Minute

// once runs collect once per host and key; concurrent callers wait for the
// first one, each within its own deadline. A collection cut short by its
// caller's deadline is not kept.
func once[T any](ctx context.Context, f *family, h *checks.Host, what string, collect func(context.Context) (T, error)) (T, error) {
	var zero T
	k := memoKey{h, what}
	now := h.Now()
	f.mu.Lock()
	e, ok := f.memo[k]
	if ok && now.Sub(e.at) > memoTTL {
		ok = false
	}
	if !ok {
		e = &memoEntry{done: make(chan struct{}), at: now}
		f.memo[k] = e
	}
	f.mu.Unlock()
	if !ok {
		func() {
			defer close(e.done)
			e.err = errors.New(what + ": collection aborted")
			e.val, e.err = collect(ctx)
		}()
		if ctx.Err() != nil {
			f.mu.Lock()
			if f.memo[k] == e {
				delete(f.memo, k)
			}
			f.mu.Unlock()
		}
	}
	select {
	case <-e.done:
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	if e.err != nil {
		return zero, e.err
	}
	return e.val.(T), nil
}

func (f *family) platform(ctx context.Context, h *checks.Host) (platform, error) {
	return once(ctx, f, h, "platform", func(context.Context) (platform, error) { return detect(h) })
}

// notApplicable turns a platform error into a result: an unknown platform
// is not-applicable with its reason, anything else an error.
func notApplicable(err error) protocol.Result {
	if errors.Is(err, errUnknownPlatform) {
		return checks.Skipped(protocol.Textf("gestionnaire de mises à jour non pris en charge (%v)",
			"unsupported update manager (%v)", err))
	}
	return checks.Errored(protocol.Text{FR: "identification du système", EN: "identifying the system"}, err)
}
