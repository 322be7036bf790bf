package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/tcplab/tcplab/internal/listing"
	"github.com/tcplab/tcplab/internal/pcapio"
)

const analyzeDescription = `
Analyse the TCP segments of a capture (pcap or pcapng, gzip-compressed or
not) the way Wireshark 4.0 does, and print, by default, the packet list as
'tshark -r FILE' prints it (TCP frames only, with TCP's own summary in
Info), then a conversation table like 'tshark -z conv,tcp' with each
conversation's Zeek conn_state and initial RTT.

--format ndjson prints one JSON record per TCP packet, then one per
conversation (the JSON contract in the README). --follow N prints stream N's
payload like 'tshark -q -z follow,tcp,ascii,N'. --stream and --select
limit the output to some conversations; a selector is a list of terms
"stream N", "port N", "host ADDR" or "ADDR:PORT" (terms of one kind are
alternatives, kinds combine), for example --select "port 2000 host ::1".

FILE "-" reads the capture from standard input ('tcpdump -w - | tcplab
analyze -'). On a corrupt or truncated file, everything before the bad
record is printed, then the error names its byte offset; the exit status
is 1.`

func runAnalyze(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "analyze", "FILE", analyzeDescription)
	format := fs.String("format", "text", "output `format`: text or ndjson")
	follow := fs.Int("follow", -1, "print the payload of stream `N` instead of the packet list")
	stream := fs.String("stream", "", "only the conversations with these stream `numbers` (comma-separated)")
	selector := fs.String("select", "", "only the conversations matching this `selector`")
	noConv := fs.Bool("no-conv", false, "text format: leave out the conversation table")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		fs.Usage()
		return usageError{fmt.Errorf("analyze: want one capture file, got %d arguments", len(rest))}
	}
	opts := listing.Options{Follow: *follow, NoConversations: *noConv}
	switch *format {
	case "text":
		opts.Format = listing.Text
	case "ndjson", "json":
		opts.Format = listing.NDJSON
	default:
		return usageError{fmt.Errorf("analyze: --format %q: want text or ndjson", *format)}
	}
	expr := *selector
	if *stream != "" {
		for _, n := range splitList(*stream) {
			if _, err := strconv.ParseUint(n, 10, 32); err != nil {
				return usageError{fmt.Errorf("analyze: --stream %q: not a stream number", n)}
			}
			expr += " stream " + n
		}
	}
	if expr != "" {
		sel, err := listing.ParseSelector(expr)
		if err != nil {
			return usageError{fmt.Errorf("analyze: --select: %w", err)}
		}
		opts.Select = sel
	}

	name := rest[0]
	var in io.Reader = env.Stdin
	var size int64
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("analyze: %w", err)
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
		in = f
	} else {
		name = "standard input"
	}
	rd, err := pcapio.NewReader(in)
	if err != nil {
		return fmt.Errorf("analyze %s: %w", name, err)
	}
	if rd.Compressed() {
		size = 0 // offsets count decompressed bytes
	}
	if isTerminal(env.Stderr) {
		opts.ProgressEvery = 1 << 18
		opts.Progress = func(frames uint64, offset int64) {
			if size > 0 {
				fmt.Fprintf(env.Stderr, "\ranalyze: %d frames, %d%%", frames, offset*100/size)
			} else {
				fmt.Fprintf(env.Stderr, "\ranalyze: %d frames", frames)
			}
		}
		defer func() {
			if opts.Progress != nil {
				fmt.Fprint(env.Stderr, "\r\033[K")
			}
		}()
	}
	if err := listing.Run(ctx, rd, env.Stdout, opts); err != nil {
		return fmt.Errorf("analyze %s: %w", name, err)
	}
	return nil
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}
