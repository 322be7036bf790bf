package proc

import (
	"context"
	"fmt"
	"time"

	"github.com/tcplab/tcplab/internal/sockstate"
)

// WaitListening waits, at most limit, until a socket listens on port,
// looking in the kernel's socket table rather than connecting: a
// connection that sends nothing is itself a test of a lab server, and
// crashes some. Without a socket table it gives the program half a
// second. It fails when p exits first.
func WaitListening(ctx context.Context, p *Process, port int, limit time.Duration) error {
	end := time.Now().Add(limit)
	for time.Now().Before(end) && ctx.Err() == nil {
		if p.Exited() {
			return fmt.Errorf("it exited (%s)", p.Exit())
		}
		ok, err := listening(port)
		if err != nil {
			pause(ctx, 500*time.Millisecond)
			return ctx.Err()
		}
		if ok {
			return nil
		}
		pause(ctx, 10*time.Millisecond)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("nothing listened within %v", limit)
}

// listening reports whether a socket listens on port, at any address.
func listening(port int) (bool, error) {
	for _, v6 := range []bool{false, true} {
		socks, err := sockstate.Sockets(v6)
		if err != nil {
			return false, err
		}
		for _, s := range socks {
			if s.State == sockstate.Listen && int(s.Local.Port()) == port {
				return true, nil
			}
		}
	}
	return false, nil
}

// pause waits d or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
