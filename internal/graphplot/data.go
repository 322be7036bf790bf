package graphplot

import (
	"bufio"
	"io"
	"strconv"

	"github.com/tcplab/tcplab/internal/streamgraph"
)

// CSVHeader is the first line WriteCSV writes: the column names.
const CSVHeader = "series,frame,ref_frame,time,stream_time,value,value_end,unit,mark"

// UnitName returns the name the data files give u: "B", "bit/s" or "s".
func UnitName(u streamgraph.Unit) string {
	switch u {
	case streamgraph.BitsPerSecond:
		return "bit/s"
	case streamgraph.Nanoseconds:
		return "s"
	}
	return "B"
}

// appendSeconds appends ns as seconds with nine decimals, as tshark
// prints times ("0.012345678", "-1.500000000").
func appendSeconds(b []byte, ns int64) []byte {
	if ns < 0 {
		b = append(b, '-')
		ns = -ns
	}
	b = strconv.AppendInt(b, ns/1e9, 10)
	b = append(b, '.')
	frac := ns % 1e9
	for d := int64(1e8); d > 0; d /= 10 {
		b = append(b, byte('0'+frac/d%10))
	}
	return b
}

// appendValue appends v in unit u: an integer, or seconds for durations.
func appendValue(b []byte, u streamgraph.Unit, v int64) []byte {
	if u == streamgraph.Nanoseconds {
		return appendSeconds(b, v)
	}
	return strconv.AppendInt(b, v, 10)
}

// markName returns the name of the marks in m ("retransmission"), or "".
func markName(m streamgraph.Mark) string {
	if m&streamgraph.MarkRetransmission != 0 {
		return "retransmission"
	}
	return ""
}

// WriteCSV writes g's points as CSV (RFC 4180; no field needs quoting):
// CSVHeader, then a line per point, series by series in the graph's
// order, each series in time order. docs/graphs.md describes the columns.
func WriteCSV(w io.Writer, g streamgraph.Graph) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(CSVHeader + "\n")
	var b []byte
	for _, s := range g.Series {
		unit := UnitName(s.Unit)
		for _, p := range s.Points {
			b = append(b[:0], s.Name...)
			b = append(b, ',')
			b = strconv.AppendUint(b, uint64(p.Frame), 10)
			b = append(b, ',')
			if p.Ref != 0 {
				b = strconv.AppendUint(b, uint64(p.Ref), 10)
			}
			b = append(b, ',')
			b = appendSeconds(b, p.T)
			b = append(b, ',')
			b = appendSeconds(b, p.T-g.Origin)
			b = append(b, ',')
			b = appendValue(b, s.Unit, p.V)
			b = append(b, ',')
			if s.Style == streamgraph.Bars {
				b = appendValue(b, s.Unit, p.V2)
			}
			b = append(b, ',')
			b = append(b, unit...)
			b = append(b, ',')
			b = append(b, markName(p.Mark)...)
			b = append(b, '\n')
			if _, err := bw.Write(b); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// WriteNDJSON writes g's points as newline-delimited JSON: an object per
// line, with the CSV's columns as members (ref_frame, value_end and mark
// left out when empty; times and durations as numbers of seconds).
func WriteNDJSON(w io.Writer, g streamgraph.Graph) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var b []byte
	for _, s := range g.Series {
		unit := UnitName(s.Unit)
		for _, p := range s.Points {
			b = append(b[:0], `{"series":"`...)
			b = append(b, s.Name...)
			b = append(b, `","frame":`...)
			b = strconv.AppendUint(b, uint64(p.Frame), 10)
			if p.Ref != 0 {
				b = append(b, `,"ref_frame":`...)
				b = strconv.AppendUint(b, uint64(p.Ref), 10)
			}
			b = append(b, `,"time":`...)
			b = appendSeconds(b, p.T)
			b = append(b, `,"stream_time":`...)
			b = appendSeconds(b, p.T-g.Origin)
			b = append(b, `,"value":`...)
			b = appendValue(b, s.Unit, p.V)
			if s.Style == streamgraph.Bars {
				b = append(b, `,"value_end":`...)
				b = appendValue(b, s.Unit, p.V2)
			}
			b = append(b, `,"unit":"`...)
			b = append(b, unit...)
			b = append(b, '"')
			if m := markName(p.Mark); m != "" {
				b = append(b, `,"mark":"`...)
				b = append(b, m...)
				b = append(b, '"')
			}
			b = append(b, "}\n"...)
			if _, err := bw.Write(b); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}
