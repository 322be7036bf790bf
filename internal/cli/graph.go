package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/tcplab/tcplab/internal/graphplot"
	"github.com/tcplab/tcplab/internal/packets"
	"github.com/tcplab/tcplab/internal/pcapio"
	"github.com/tcplab/tcplab/internal/streamgraph"
)

// graphRequest is `analyze --graph KIND`: which graph of which stream,
// and where it goes (the terminal, data on stdout, or an SVG file).
type graphRequest struct {
	kind   streamgraph.Kind
	stream int    // -1: the busiest
	format string // "text", "csv" or "ndjson"
	svg    string // a file for a standalone SVG, "" for none
	dir    streamgraph.Dir
}

// parseGraphKind reads --graph's KIND.
func parseGraphKind(s string) (streamgraph.Kind, error) {
	k, err := streamgraph.ParseKind(s)
	if err != nil {
		var names []string
		for _, k := range streamgraph.Kinds {
			names = append(names, k.String())
		}
		return 0, fmt.Errorf("--graph %q: want one of %s", s, strings.Join(names, ", "))
	}
	return k, nil
}

// analyzeGraph is `analyze --graph KIND [--format F] [--stream N] [--svg
// FILE] FILE`.
func analyzeGraph(ctx context.Context, env *Env, name, kind, format, stream, svg string) error {
	req := graphRequest{stream: -1, format: format, svg: svg}
	var err error
	if req.kind, err = parseGraphKind(kind); err != nil {
		return usageError{fmt.Errorf("analyze: %w", err)}
	}
	switch format {
	case "text", "csv", "ndjson":
	default:
		return usageError{fmt.Errorf("analyze: --graph: --format %q: want text, csv or ndjson", format)}
	}
	if stream != "" {
		n, err := strconv.ParseUint(stream, 10, 32)
		if err != nil {
			return usageError{fmt.Errorf("analyze: --graph: --stream %q: want one stream number", stream)}
		}
		req.stream = int(n)
	}
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	defer f.Close()
	rd, err := pcapio.NewReader(f)
	if err != nil {
		return fmt.Errorf("analyze %s: %w", name, err)
	}
	if err := writeGraph(ctx, env, rd, req); err != nil {
		return fmt.Errorf("analyze %s: --graph %s: %w", name, kind, err)
	}
	return nil
}

// writeGraph reads rd through the analysis, builds the requested graph
// of one stream and writes it: as a terminal plot, as CSV or NDJSON
// points on w, and as an SVG file when asked.
func writeGraph(ctx context.Context, env *Env, rd *pcapio.Reader, req graphRequest) error {
	var col streamgraph.Collector
	if req.stream >= 0 {
		want := uint32(req.stream)
		col.Only = func(s uint32) bool { return s == want }
	}
	src := packets.NewSource(packets.Options{})
	for p := range src.Read(ctx, rd) {
		if p.Analysed {
			col.Add(p.RelTime, &p.Decoded, &p.Result)
		}
	}
	if err := src.Err(); err != nil {
		return err
	}
	stream := uint32(req.stream)
	if req.stream < 0 {
		var ok bool
		if stream, ok = col.Busiest(); !ok {
			return errors.New("no TCP stream to graph")
		}
	}
	segs := col.Stream(stream)
	if len(segs) == 0 {
		return fmt.Errorf("--stream %d: no such stream", stream)
	}
	g, err := streamgraph.Build(segs, req.kind, streamgraph.Options{Dir: req.dir})
	if err != nil {
		return err
	}
	if req.svg != "" {
		if err := writeSVGFile(req.svg, g); err != nil {
			return err
		}
	}
	w := bufio.NewWriter(env.Stdout)
	switch req.format {
	case "csv":
		err = graphplot.WriteCSV(w, g)
	case "ndjson":
		err = graphplot.WriteNDJSON(w, g)
	default:
		if req.svg != "" {
			return w.Flush() // the SVG was the output asked for
		}
		err = graphplot.WriteTerminal(w, g, graphplot.TermFromEnv(os.Getenv, isTerminal(env.Stdout)))
	}
	if err != nil {
		return err
	}
	return w.Flush()
}

// writeSVGFile writes g as a standalone SVG to path.
func writeSVGFile(path string, g streamgraph.Graph) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	err = graphplot.WriteSVG(bw, g, graphplot.SVGOptions{})
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
