//go:build windows

package livehost

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/windows/registry"

	"github.com/vigie-cyber/vigie/checks"
)

func liveRegistry() checks.Registry { return winRegistry{} }

type winRegistry struct{}

// open splits `HKLM\path` into a root and a sub-path and opens it read-only.
func open(key string) (registry.Key, error) {
	root, path, _ := strings.Cut(key, `\`)
	var k registry.Key
	switch strings.ToUpper(root) {
	case "HKLM", "HKEY_LOCAL_MACHINE":
		k = registry.LOCAL_MACHINE
	case "HKCU", "HKEY_CURRENT_USER":
		k = registry.CURRENT_USER
	case "HKU", "HKEY_USERS":
		k = registry.USERS
	default:
		return 0, fmt.Errorf("registry root %q: %w", root, checks.ErrUnsupported)
	}
	h, err := registry.OpenKey(k, path, registry.QUERY_VALUE|registry.ENUMERATE_SUB_KEYS|registry.WOW64_64KEY)
	if errors.Is(err, registry.ErrNotExist) {
		return 0, fmt.Errorf("%s: %w", key, checks.ErrNotFound)
	}
	return h, err
}

func (winRegistry) String(key, value string) (string, error) {
	k, err := open(key)
	if err != nil {
		return "", err
	}
	defer k.Close()
	s, _, err := k.GetStringValue(value)
	if errors.Is(err, registry.ErrNotExist) {
		return "", fmt.Errorf(`%s\%s: %w`, key, value, checks.ErrNotFound)
	}
	return s, err
}

func (winRegistry) Integer(key, value string) (uint64, error) {
	k, err := open(key)
	if err != nil {
		return 0, err
	}
	defer k.Close()
	n, _, err := k.GetIntegerValue(value)
	if errors.Is(err, registry.ErrNotExist) {
		return 0, fmt.Errorf(`%s\%s: %w`, key, value, checks.ErrNotFound)
	}
	return n, err
}

func (winRegistry) SubKeys(key string) ([]string, error) {
	k, err := open(key)
	if err != nil {
		return nil, err
	}
	defer k.Close()
	return k.ReadSubKeyNames(-1)
}
