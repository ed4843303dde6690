//go:build !windows

package checks

func liveRegistry() Registry { return noRegistry{} }

type noRegistry struct{}

func (noRegistry) String(string, string) (string, error)  { return "", ErrUnsupported }
func (noRegistry) Integer(string, string) (uint64, error) { return 0, ErrUnsupported }
func (noRegistry) SubKeys(string) ([]string, error)       { return nil, ErrUnsupported }
