//go:build !linux

package userns

import (
	"context"
	"errors"
	"io"
)

// SetupFailed is the exit status of a child whose Setup failed.
const SetupFailed = 125

// Inside reports whether this process is the child of Run: never here.
func Inside() bool { return false }

// Supported reports whether the system has user namespaces: only Linux.
func Supported() bool { return false }

// Capabilities exist only on Linux.
const (
	CapNetAdmin = 12
	CapNetRaw   = 13
	CapSysAdmin = 21
)

// HasCaps reports false: there are no capabilities to hold.
func HasCaps(caps ...int) bool { return false }

// RefusedError says that the system has no user namespaces.
type RefusedError struct {
	Why string
	Err error
}

func (e *RefusedError) Error() string { return "user namespaces refused: " + e.Why }
func (e *RefusedError) Unwrap() error { return e.Err }

// Run is not possible outside Linux.
func Run(context.Context, string, []string, io.Reader, io.Writer, io.Writer) (int, error) {
	return 0, &RefusedError{Why: "only Linux has user namespaces", Err: errors.ErrUnsupported}
}

// Setup is not possible outside Linux.
func Setup() error { return errors.ErrUnsupported }
