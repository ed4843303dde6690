//go:build !windows

package livehost

import "github.com/vigie-cyber/vigie/checks"

func liveRegistry() checks.Registry { return noRegistry{} }

type noRegistry struct{}

func (noRegistry) String(string, string) (string, error)  { return "", checks.ErrUnsupported }
func (noRegistry) Integer(string, string) (uint64, error) { return 0, checks.ErrUnsupported }
func (noRegistry) SubKeys(string) ([]string, error)       { return nil, checks.ErrUnsupported }
