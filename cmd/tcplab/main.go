// Command tcplab runs the classic TCP socket-programming lab end to end:
// the lab's client and server, live capture, a Wireshark-equivalent TCP
// analysis and a plain-language explanation of each conversation.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/tcplab/tcplab/internal/cli"
	"github.com/tcplab/tcplab/internal/userns"
)

func main() {
	if userns.Inside() {
		// Run by tcplab itself in namespaces of its own (see
		// cli.Executable): set them up first.
		if err := userns.Setup(); err != nil {
			fmt.Fprintln(os.Stderr, "tcplab:", err)
			os.Exit(userns.SetupFailed)
		}
	}
	cli.Executable = "/proc/self/exe"
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, "tcplab:", msg)
		}
		os.Exit(cli.ExitCode(err))
	}
}
