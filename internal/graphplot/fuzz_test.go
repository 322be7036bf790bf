package graphplot

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"

	"github.com/tcplab/tcplab/internal/streamgraph"
)

// FuzzWrite draws made-up graphs (every kind, style and axis; values of
// any size, times in any order): no input panics or hangs, and the SVG
// stays well-formed.
func FuzzWrite(f *testing.F) {
	f.Add(uint8(0), []byte{})                                                     // an empty graph
	f.Add(uint8(2), make([]byte, 25*3))                                           // three zero points
	f.Add(uint8(1), bytes.Repeat([]byte{0xff}, 25*4))                             // the largest values
	f.Add(uint8(4), []byte("0123456789abcdefghijklmnoABCDEFGHIJKLMNOPQRSTUVWXY")) // two points of every field
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		g := streamgraph.Graph{Kind: streamgraph.Kinds[int(kind)%len(streamgraph.Kinds)], Dir: streamgraph.ClientToServer}
		for i := 0; i+25 <= len(data) && i < 25*300; i += 25 {
			d := data[i : i+25]
			si := int(d[0] % 4)
			for len(g.Series) <= si {
				n := len(g.Series)
				g.Series = append(g.Series, streamgraph.Series{
					Name: streamgraph.Name([]string{"seq", "segment", "throughput", "rtt"}[n]), Style: streamgraph.Style(n + int(d[0]>>2)%6),
					Unit: streamgraph.Unit(n % 3), Axis: streamgraph.Axis(n % 2)})
			}
			g.Series[si].Points = append(g.Series[si].Points, streamgraph.Point{
				Frame: uint32(i/25 + 1), T: int64(binary.LittleEndian.Uint64(d[1:])),
				V: int64(binary.LittleEndian.Uint64(d[9:])), V2: int64(binary.LittleEndian.Uint64(d[17:])) >> (d[0] & 63),
				Mark: streamgraph.Mark(d[0] >> 7),
			})
		}
		var b bytes.Buffer
		if err := WriteSVG(&b, g, SVGOptions{}); err != nil {
			t.Fatal(err)
		}
		checkSVG(t, b.Bytes())
		for _, o := range []TermOptions{{}, {ASCII: true, Color: true, Width: 20, Height: 6}} {
			if err := WriteTerminal(io.Discard, g, o); err != nil {
				t.Fatal(err)
			}
		}
		if err := WriteCSV(io.Discard, g); err != nil {
			t.Fatal(err)
		}
		if err := WriteNDJSON(io.Discard, g); err != nil {
			t.Fatal(err)
		}
	})
}
