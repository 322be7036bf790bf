package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/client"
	"github.com/tcplab/tcplab/internal/labproto"
)

const clientDescription = `
Runs the lab's TCP client for one exchange: sends "<name>,<NUMBER>" to the
server, reads its reply "<server name>,<server number>" and prints the
original's five lines (Client Name, Server Name, Client Number, Server
Number, Sum). Without NUMBER it prompts for it like the original and reads
one line from standard input (a pipe works too).

A number outside 1..100 is refused before connecting, because the lab server
closes without replying; --send-out-of-range sends it anyway, to show the
lab's second case.

Exit status: 0 success, 1 failure (unreachable, no reply, timeout, malformed
reply), 2 usage (bad flag, not a number, refused out-of-range number).`

// clientFlags are the client subcommand's flags.
type clientFlags struct {
	addr           string
	name           string
	timeout        time.Duration
	sendOutOfRange bool
}

func newClientFlags(env *Env) (*flag.FlagSet, *clientFlags) {
	f := &clientFlags{}
	fs := newFlagSet(env, "client", "[NUMBER]", clientDescription)
	fs.StringVar(&f.addr, "addr", labproto.DefaultAddr, "connect to the server at `host:port` (IPv6 as [::1]:2000)")
	fs.StringVar(&f.name, "name", labproto.DefaultClientName, "client `name` sent in the request")
	fs.DurationVar(&f.timeout, "timeout", client.DefaultTimeout, "give up if the whole exchange takes longer than `duration`")
	fs.BoolVar(&f.sendOutOfRange, "send-out-of-range", false, "send a number outside 1..100 anyway (the lab's second case: the server closes without replying)")
	return fs, f
}

func runClient(ctx context.Context, env *Env, args []string) error {
	fs, f := newClientFlags(env)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 1 {
		fs.Usage()
		return usageError{fmt.Errorf("client takes at most one NUMBER, got %q", rest)}
	}
	if err := labproto.CheckName(f.name, false); err != nil {
		return usageError{fmt.Errorf("--name: %w", err)}
	}
	if f.timeout <= 0 {
		return usageError{fmt.Errorf("--timeout %v: want a positive duration", f.timeout)}
	}
	var number string
	if len(rest) == 1 {
		number = rest[0]
	} else {
		// Like Python's input(): the prompt goes to standard output, with
		// no newline, even when standard input is a pipe.
		if _, err := io.WriteString(env.Stdout, client.Prompt); err != nil {
			return err
		}
		if number, err = readLine(env.Stdin); err != nil {
			return err
		}
	}
	value, _, ok := labproto.ParseNumber([]byte(number))
	if !ok {
		return usageError{fmt.Errorf("%q is not a number: the lab wants a whole number between 1 and 100", number)}
	}
	inRange := value >= labproto.MinNumber && value <= labproto.MaxNumber
	if !inRange && !f.sendOutOfRange {
		return usageError{fmt.Errorf("the number %s is outside 1..100, so the lab server would close the connection without replying; add --send-out-of-range to send it anyway (the lab's second case)", strings.TrimSpace(number))}
	}
	r, err := client.Exchange(ctx, client.Config{Name: f.name, Timeout: f.timeout}, f.addr, number)
	if err != nil {
		return explainClientError(err, f, strings.TrimSpace(number), inRange)
	}
	_, err = env.Stdout.Write(r.AppendLines(nil))
	return err
}

// readLine reads one line from r as Python's input() does: without its
// line ending; a last line without one counts; nothing at all is an error.
func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && (!errors.Is(err, io.EOF) || line == "") {
		if errors.Is(err, io.EOF) {
			return "", usageError{errors.New("no number: standard input ended before a line was read (give NUMBER as an argument or on standard input)")}
		}
		return "", fmt.Errorf("reading the number from standard input: %w", err)
	}
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	return line, nil
}

// explainClientError turns a failed exchange into a message that names
// the address and the likely reason.
func explainClientError(err error, f *clientFlags, number string, inRange bool) error {
	var ce *client.Error
	if !errors.As(err, &ce) {
		return err
	}
	var cause string
	if ce.Err != nil {
		cause = ": " + ce.Err.Error()
	}
	switch {
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("interrupted while waiting for %s", f.addr)
	case errors.Is(err, client.ErrUnreachable):
		return fmt.Errorf("cannot connect to %s%s; is the server running? (start one with: tcplab server --addr %s)", f.addr, cause, f.addr)
	case errors.Is(err, client.ErrNoReply) && !inRange:
		return fmt.Errorf("server %s closed the connection without replying%s: the number %s is outside 1..100, so the lab server closes without answering", f.addr, cause, number)
	case errors.Is(err, client.ErrNoReply):
		return fmt.Errorf("server %s closed the connection without replying%s; a lab server answers every number in 1..100, so it may be another program or it dropped us (see its log)", f.addr, cause)
	case errors.Is(err, client.ErrTimeout):
		phase := map[string]string{"connect to": "connecting", "send request to": "sending the request"}[ce.Op]
		if phase == "" {
			phase = "waiting for the reply"
		}
		return fmt.Errorf("no answer from %s within %v (timed out %s); the server may be overloaded or not a lab server (raise --timeout to wait longer)", f.addr, f.timeout, phase)
	case errors.Is(err, client.ErrMalformedReply):
		return fmt.Errorf("server %s sent a malformed reply%s; the lab's reply is \"<server name>,<number>\"", f.addr, cause)
	}
	return fmt.Errorf("exchange with %s failed: %w", f.addr, err)
}
