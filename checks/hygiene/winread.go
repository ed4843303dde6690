package hygiene

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/vigie-cyber/vigie/checks"
	"github.com/vigie-cyber/vigie/checks/winps"
	"github.com/vigie-cyber/vigie/protocol"
)

// Windows collection: PowerShell through winps (full path, UTF-8, one JSON
// envelope, Constrained Language Mode reported) and the registry, Group
// Policy keys before local ones.

// psList runs a script body and decodes its objects. "Nothing printed", a
// PowerShell error and a missing envelope are errors, never an empty list.
func psList[T any](ctx context.Context, h *checks.Host, body string) ([]T, error) {
	out, err := winps.Run(ctx, h, body, nil)
	if err != nil {
		return nil, err
	}
	list, _, err := winps.Items[T](out)
	return list, err
}

// psNonEmpty is psList for things that always exist on a real Windows (the
// Administrators group has the built-in Administrator, every system has an
// OS volume and the three main event logs): an empty list means the
// collection went wrong, not that there is nothing.
func psNonEmpty[T any](ctx context.Context, h *checks.Host, body, what string) ([]T, error) {
	list, err := psList[T](ctx, h, body)
	if err == nil && len(list) == 0 {
		return nil, fmt.Errorf("PowerShell a renvoyé une liste vide pour %s / PowerShell returned an empty list of %s", what, what)
	}
	return list, err
}

// psOne is psList for exactly one object (a configuration).
func psOne[T any](ctx context.Context, h *checks.Host, body string) (T, error) {
	var zero T
	out, err := winps.Run(ctx, h, body, nil)
	if err != nil {
		return zero, err
	}
	v, _, err := winps.One[T](out)
	return v, err
}

// regVal is one registry value; Policy marks a Group Policy location
// (HKLM\SOFTWARE\Policies or a value that only GPO writes).
type regVal struct {
	Key, Value string
	Policy     bool
}

func (v regVal) String() string { return v.Value }

// source names where a value came from, for the evidence.
func (v regVal) source() protocol.Text {
	if v.Policy {
		return protocol.Text{FR: "stratégie de groupe", EN: "group policy"}
	}
	return protocol.Text{FR: "réglage local", EN: "local setting"}
}

// errNoValue is none of the locations holding the value.
var errNoValue = errors.New("valeur absente du registre / value absent from the registry")

// firstInt reads the locations in order and returns the first value found
// and where it was found: Group Policy locations come first, so a policy
// wins over the local setting it overrides, as on Windows. A value that
// exists but cannot be read is an error, not a fallback.
func firstInt(r checks.Registry, locs ...regVal) (uint64, regVal, error) {
	for _, l := range locs {
		n, err := r.Integer(l.Key, l.Value)
		if err == nil {
			return n, l, nil
		}
		if !errors.Is(err, checks.ErrNotFound) {
			return 0, l, fmt.Errorf(`%s\%s: %w`, l.Key, l.Value, err)
		}
	}
	if len(locs) == 0 {
		return 0, regVal{}, errNoValue
	}
	return 0, regVal{}, fmt.Errorf(`%s (%s\%s): %w`, errNoValue, locs[len(locs)-1].Key, locs[len(locs)-1].Value, checks.ErrNotFound)
}

// firstString is firstInt for string values.
func firstString(r checks.Registry, locs ...regVal) (string, regVal, error) {
	for _, l := range locs {
		s, err := r.String(l.Key, l.Value)
		if err == nil {
			return s, l, nil
		}
		if !errors.Is(err, checks.ErrNotFound) {
			return "", l, fmt.Errorf(`%s\%s: %w`, l.Key, l.Value, err)
		}
	}
	if len(locs) == 0 {
		return "", regVal{}, errNoValue
	}
	return "", regVal{}, fmt.Errorf(`%s (%s\%s): %w`, errNoValue, locs[len(locs)-1].Key, locs[len(locs)-1].Value, checks.ErrNotFound)
}

const keyCurrentVersion = `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`

// currentBuild reads the Windows build number.
func currentBuild(r checks.Registry) (int, error) {
	b, err := r.String(keyCurrentVersion, "CurrentBuild")
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(b))
	if err != nil {
		return 0, fmt.Errorf("CurrentBuild %q is not a number", b)
	}
	return n, nil
}

// productType reads whether the host is a workstation (WinNT), a server
// (ServerNT) or a domain controller (LanmanNT).
func productType(r checks.Registry) (string, error) {
	return r.String(`HKLM\SYSTEM\CurrentControlSet\Control\ProductOptions`, "ProductType")
}

// tf is protocol.Textf where a protocol.Text argument is taken in the
// template's own language (a source such as "stratégie de groupe").
func tf(fr, en string, args ...any) protocol.Text {
	pick := func(lang string) []any {
		out := make([]any, len(args))
		for i, a := range args {
			if t, ok := a.(protocol.Text); ok {
				a = t.In(lang)
			}
			out[i] = a
		}
		return out
	}
	return protocol.Text{FR: fmt.Sprintf(fr, pick("fr")...), EN: fmt.Sprintf(en, pick("en")...)}
}
