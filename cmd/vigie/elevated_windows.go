//go:build windows

package main

import "golang.org/x/sys/windows"

// elevated reports whether the scan runs with administrator rights (an
// elevated token); unknown counts as elevated, so no false notice.
func elevated() bool {
	return windows.GetCurrentProcessToken().IsElevated()
}
