//go:build !linux

package server

import (
	"context"
	"net"
)

// serveFast is Linux only (see fast_linux.go): elsewhere every listener is
// served by serveEach.
func (s *Server) serveFast(ctx context.Context, ln net.Listener) (bool, error) {
	return false, nil
}
