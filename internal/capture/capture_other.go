//go:build !linux

package capture

import (
	"context"
	"errors"
	"fmt"
	"runtime"
)

// Capture is a live capture; on this system none can be opened.
type Capture struct{}

// Open returns an error: live capture uses Linux AF_PACKET sockets.
func Open(cfg Config) (*Capture, error) {
	if _, err := cfg.withDefaults(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("capture: live capture needs Linux AF_PACKET sockets, which %s does not have: %w", runtime.GOOS, errors.ErrUnsupported)
}

// Info returns the zero Info.
func (c *Capture) Info() Info { return Info{} }

// Run returns an error: no capture can be open on this system.
func (c *Capture) Run(ctx context.Context, fn func(*Packet) error) (Stats, error) {
	return Stats{}, fmt.Errorf("capture: not available on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

// Close does nothing.
func (c *Capture) Close() error { return nil }
