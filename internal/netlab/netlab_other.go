//go:build !linux

package netlab

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"

	"github.com/tcplab/tcplab/internal/impair"
)

// errUnsupported is returned on systems without Linux network namespaces.
var errUnsupported = fmt.Errorf("netlab: the impaired network needs Linux network namespaces, not available on %s: %w", runtime.GOOS, errors.ErrUnsupported)

// Network is an impaired network; on this system none can be built.
type Network struct{}

// New returns an error: netlab needs Linux.
func New(ctx context.Context, cfg Config) (*Network, error) { return nil, errUnsupported }

// RemoveLeftovers does nothing: there are no namespaces on this system.
func RemoveLeftovers(ctx context.Context) error { return nil }

// Name returns "".
func (n *Network) Name(h Host) string { return "" }

// Names returns nil.
func (n *Network) Names() []string { return nil }

// Spec returns the zero Spec.
func (n *Network) Spec() impair.Spec { return impair.Spec{} }

// Stats returns zero counters.
func (n *Network) Stats() Stats { return Stats{} }

// Fates returns none.
func (n *Network) Fates() ([]FrameFate, uint64) { return nil, 0 }

// Done returns a closed channel.
func (n *Network) Done() <-chan struct{} { c := make(chan struct{}); close(c); return c }

// Do returns an error: netlab needs Linux.
func (n *Network) Do(h Host, fn func() error) error { return errUnsupported }

// Command returns a command that fails: netlab needs Linux.
func (n *Network) Command(ctx context.Context, h Host, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Err = errUnsupported
	return cmd
}

// Close returns nil.
func (n *Network) Close() error { return nil }

// BulkTransfer returns an error: netlab needs Linux.
func (n *Network) BulkTransfer(ctx context.Context, opts BulkOptions) (BulkResult, error) {
	return BulkResult{}, errUnsupported
}

// BidiTransfer returns an error: netlab needs Linux.
func (n *Network) BidiTransfer(ctx context.Context, opts BidiOptions) (ConnResult, error) {
	return ConnResult{}, errUnsupported
}

// Exchange returns an error: netlab needs Linux.
func (n *Network) Exchange(ctx context.Context, opts ExchangeOptions) (ConnResult, error) {
	return ConnResult{}, errUnsupported
}
