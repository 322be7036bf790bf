package streamgraph

import (
	"fmt"
	"time"
)

// Kind is one of the five graphs.
type Kind uint8

// The graphs, named as tcplab's --graph flag names them.
const (
	TSeq       Kind = iota + 1 // "tseq": Stevens' time-sequence graph
	TCPTrace                   // "tcptrace": tcptrace's time-sequence graph
	Throughput                 // "throughput": moving-average throughput and goodput
	RTT                        // "rtt": round-trip time of each acknowledged segment
	Window                     // "window": bytes in flight and the advertised window
)

var kindNames = [...]string{TSeq: "tseq", TCPTrace: "tcptrace", Throughput: "throughput", RTT: "rtt", Window: "window"}

// Kinds lists the graphs in the order Wireshark's menu shows them.
var Kinds = []Kind{TSeq, TCPTrace, Throughput, RTT, Window}

// String returns the kind's flag name ("tseq", ...), or "Kind(N)".
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// ParseKind returns the Kind named s ("tseq", "tcptrace", "throughput",
// "rtt" or "window").
func ParseKind(s string) (Kind, error) {
	for k, n := range kindNames {
		if n != "" && n == s {
			return Kind(k), nil
		}
	}
	return 0, fmt.Errorf("streamgraph: unknown graph %q: want tseq, tcptrace, throughput, rtt or window", s)
}

// Dir selects the direction of the stream whose data is graphed.
type Dir uint8

// The directions.
const (
	DirAuto Dir = iota // the one that carries more payload bytes; server → client on a tie
	ClientToServer
	ServerToClient
)

// String returns "auto", "client-to-server" or "server-to-client".
func (d Dir) String() string {
	switch d {
	case DirAuto:
		return "auto"
	case ClientToServer:
		return "client-to-server"
	case ServerToClient:
		return "server-to-client"
	}
	return fmt.Sprintf("Dir(%d)", d)
}

// Name names a series of points.
type Name string

// The series of each graph. The graph's doc (and docs/graphs.md) says
// what a point's value is in each.
const (
	// TSeq.
	Seq Name = "seq" // a forward segment: its sequence number

	// TCPTrace.
	Segments       Name = "segment"          // a forward segment with data: a bar from seq to seq+len
	Acks           Name = "ack"              // a reverse segment with ACK: the ACK number (a step line)
	RWin           Name = "rwin"             // the same segments: ack + window (tcptrace); the window (window graph)
	SACK           Name = "sack"             // the first SACK block of a reverse segment: a bar
	SACK2          Name = "sack2"            // its other SACK blocks: bars
	DupAcks        Name = "dupack"           // a reverse ACK repeating the last ACK and window: a tick at the ACK
	ZeroWindow     Name = "zero_window"      // a forward segment advertising a zero window: at its middle
	PeerZeroWindow Name = "peer_zero_window" // a reverse ACK advertising a zero window: at the ACK

	// Throughput.
	SegLen     Name = "seglen"     // a forward segment: its length
	Tput       Name = "throughput" // forward payload bits per second over the window
	Goodput    Name = "goodput"    // bits newly acknowledged (or SACKed) per second over the window
	RTTSamples Name = "rtt"        // RTT: one acknowledged segment (or SACKed part)

	// Window.
	Unacked Name = "unacked" // Wireshark's outstanding bytes: segment end less the last ACK
	Flight  Name = "flight"  // tcp.analysis.bytes_in_flight
)

// Style says how a series is drawn.
type Style uint8

// The styles, after Wireshark's.
const (
	Dots    Style = iota // a dot per point
	Steps                // a line that holds each value until the next point
	Line                 // straight lines between points
	Bars                 // a vertical bar from V to V2 at each point
	Ticks                // a short tick at each point
	Crosses              // a cross at each point
)

// Unit is what a series' values count.
type Unit uint8

// The units.
const (
	Bytes         Unit = iota
	BitsPerSecond      // rounded to the nearest bit per second
	Nanoseconds        // durations; CSV and NDJSON show seconds
)

// Axis is the value axis a series is drawn against.
type Axis uint8

// The axes: the throughput graph draws segment lengths on the left and
// rates on the right.
const (
	Left Axis = iota
	Right
)

// Mark flags a point for the reader.
type Mark uint8

// The marks.
const (
	// MarkRetransmission is set on a segment that tcpanalysis flags as
	// a retransmission (plain, fast or spurious). Reduce keeps these.
	MarkRetransmission Mark = 1 << iota
)

// Point is one point of a series.
type Point struct {
	// Frame is the frame the point comes from: the segment, or the ACK
	// for the series drawn from reverse segments. For an RTT sample it
	// is the data segment and Ref the ACK; for a throughput or goodput
	// point where a segment leaves the moving window, the segment that
	// left.
	Frame, Ref uint32
	// T is the point's time in nanoseconds since the capture's first
	// frame: the frame's time, except where a segment leaves the moving
	// window (its time plus the window).
	T int64
	// V is the value; V2 is the other end of a bar (Bars), V otherwise.
	V, V2 int64
	Mark  Mark
}

// Series is a named set of points drawn one way.
type Series struct {
	Name   Name
	Style  Style
	Unit   Unit
	Axis   Axis
	Points []Point // in time order
}

// Graph is one computed graph.
type Graph struct {
	Kind Kind
	// Dir is the direction graphed: ClientToServer or ServerToClient.
	Dir Dir
	// Origin is the time of the stream's first segment (nanoseconds
	// since the capture's first frame): Wireshark's time axis starts
	// there.
	Origin int64
	// MAWindow is the throughput graph's moving-average window.
	MAWindow time.Duration
	Series   []Series
}

// Find returns the series named n, or nil.
func (g Graph) Find(n Name) *Series {
	for i := range g.Series {
		if g.Series[i].Name == n {
			return &g.Series[i]
		}
	}
	return nil
}

// Options adjust Build.
type Options struct {
	Dir Dir // DirAuto by default
	// MAWindow is the throughput graph's moving-average window; zero
	// means Wireshark's default, 1 s.
	MAWindow time.Duration
}

// DefaultMAWindow is Wireshark's default moving-average window for the
// throughput graph (the Qt dialog's; its older GTK one averaged 20
// segments).
const DefaultMAWindow = time.Second

// Build computes graph kind from segs, the segments of one stream in
// capture order. A stream with no segment gives a graph with empty
// series.
func Build(segs []Segment, kind Kind, opts Options) (Graph, error) {
	g := Graph{Kind: kind, Dir: ChooseDir(segs, opts.Dir), MAWindow: opts.MAWindow}
	if g.MAWindow <= 0 {
		g.MAWindow = DefaultMAWindow
	}
	if len(segs) > 0 {
		g.Origin = segs[0].Time
	}
	fwd := g.Dir == ServerToClient
	switch kind {
	case TSeq:
		g.Series = stevens(segs, fwd)
	case TCPTrace:
		g.Series = tcptrace(segs, fwd)
	case Throughput:
		g.Series = throughput(segs, fwd, int64(g.MAWindow))
	case RTT:
		g.Series = rtt(segs, fwd)
	case Window:
		g.Series = window(segs, fwd)
	default:
		return Graph{}, fmt.Errorf("streamgraph: unknown graph kind %d", kind)
	}
	return g, nil
}

// ChooseDir resolves d for segs: DirAuto becomes the direction with more
// payload bytes (ServerToClient on a tie, as Wireshark starts with the
// server's direction).
func ChooseDir(segs []Segment, d Dir) Dir {
	if d != DirAuto {
		return d
	}
	var c2s, s2c uint64
	for i := range segs {
		if segs[i].FromServer {
			s2c += uint64(segs[i].Len)
		} else {
			c2s += uint64(segs[i].Len)
		}
	}
	if c2s > s2c {
		return ClientToServer
	}
	return ServerToClient
}

// mark returns the marks of segment s.
func mark(s *Segment) Mark {
	if s.Analysis.Retransmitted() {
		return MarkRetransmission
	}
	return 0
}
