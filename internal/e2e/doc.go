// Package e2e holds end-to-end tests that build the project's binaries
// (vigie and vigie-hub) and run them as their users would: commands, files
// and exit codes, no call into the code under test. It has no code of its
// own; its tests may read the project's packages (protocol, hub/store) to
// check what the binaries wrote.
package e2e
