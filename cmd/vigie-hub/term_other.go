//go:build !linux

package main

import (
	"errors"
	"os"
)

// The hub is deployed on Linux; elsewhere the password is read as typed
// (pipe it in: echo ... | vigie-hub user add ...).
func isTerminal(f *os.File) bool { return false }

func noEcho(f *os.File) (func(), error) { return nil, errors.New("unsupported") }
