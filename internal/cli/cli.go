package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Env is what a subcommand may touch of the outside world. Tests fill it
// with buffers.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// command is one subcommand: its name, a one-line summary for the usage
// text, and the function that parses its arguments and runs it.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

// commands lists the subcommands in the order the usage text shows them.
var commands = []command{
	{"server", "run the lab's server (\"Server of Nuk\" on 127.0.0.1:2000)", runServer},
	{"client", "run the lab's client (\"Client of Louis\") for one exchange", runClient},
	{"bench", "measure a server of the lab's exchange: exchanges/s, latency quantiles, failures", runBench},
	{"analyze", "analyse a capture like Wireshark: packet list, conversations, ndjson, follow", runAnalyze},
	{"demo", "run the whole lab: server, client in and out of range, capture, ladder, walk-through", runDemo},
	{"check", "check a student's lab server or client: named checks, pass/fail with reasons, JUnit, HTML", runCheck},
	{"capture", "capture live (AF_PACKET, tcpdump filter syntax) to pcapng, listing packets as they arrive", runCapture},
	{"version", "print tcplab's version and the commit it was built from (also --version)", runVersion},
}

// Run parses args (without the program name) and runs the subcommand they
// name.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	env := &Env{Stdin: stdin, Stdout: stdout, Stderr: stderr}
	if len(args) == 0 {
		usage(stderr)
		return usageError{errors.New("no subcommand given")}
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return nil
	case "-version", "--version":
		return forUser(runVersion(ctx, env, args[1:]))
	}
	for _, c := range commands {
		if c.name == name {
			return forUser(c.run(ctx, env, args[1:]))
		}
	}
	usage(stderr)
	return usageError{fmt.Errorf("unknown subcommand %q", name)}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: tcplab <command> [flags] [arguments]\n\ncommands:\n")
	width := 0
	for _, c := range commands {
		width = max(width, len(c.name))
	}
	for _, c := range commands {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'tcplab <command> -h' for a command's flags.\n")
}

// usageError marks an error caused by how the command was invoked: exit
// status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// silentError is returned when the command has already printed everything
// the user needs to know (its -h text, or its own diagnosis); main prints
// nothing more and exits with code.
type silentError struct{ code int }

func (e silentError) Error() string { return "" }

// ExitCode maps an error returned by Run to the process exit status: 0 for
// nil, 2 for a usage error (bad flags or arguments), 1 for anything else.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var s silentError
	if errors.As(err, &s) {
		return s.code
	}
	var u usageError
	if errors.As(err, &u) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

// newFlagSet returns a FlagSet for a subcommand that reports errors instead
// of exiting and prints its usage to env.Stderr.
func newFlagSet(env *Env, name, argsUsage, description string) *flag.FlagSet {
	fs := flag.NewFlagSet("tcplab "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: tcplab %s [flags] %s\n\n%s\n\nflags:\n", name, argsUsage, strings.TrimSpace(description))
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args with fs and turns flag errors into usage errors:
// a short message naming the flag, not the whole usage text, which -h
// prints. It accepts flags after positional arguments too ("tcplab
// client 42 --addr ..."), which users of other tools expect.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	out := fs.Output()
	usage := fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	defer func() { fs.SetOutput(out); fs.Usage = usage }()
	name := strings.TrimPrefix(fs.Name(), "tcplab ")
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(out)
				usage()
				return nil, silentError{code: 0}
			}
			msg := err.Error()
			if opt, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
				msg = "unknown option " + opt
			}
			return nil, usageError{fmt.Errorf("%s: %s (tcplab %s -h lists the options)", name, msg, name)}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			positional = append(positional, args[1:]...)
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	return positional, nil
}
