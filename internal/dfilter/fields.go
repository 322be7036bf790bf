package dfilter

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// Record is one analysed TCP packet, what a filter tests.
type Record struct {
	Frame uint32  // frame.number
	Time  float64 // frame.time_relative, seconds
	RelNS int64   // frame.time_relative in nanoseconds, for printing
	Len   int     // frame.len, the frame's length on the wire
	// CapLen is the number of the frame's bytes captured, for printing
	// the frame's summary.
	CapLen int
	// Iface and IfaceName are the pcapng interface the frame was
	// captured on (numbered across sections) and its name, for the
	// frame's summary; Iface is -1 without one (pcap).
	Iface     int
	IfaceName string
	P         *decode.Packet
	R         *tcpanalysis.Result
	// Cut is true for a TCP header that the capture cut after its ports
	// but before its window, which tshark lists unanalysed: of TCP's
	// fields it has only tcp, tcp.srcport, tcp.dstport and tcp.port,
	// and R is not read.
	Cut bool

	scratch []Value // the values of the field evaluated last, reused
}

// values returns f's values in r, in a buffer the next call reuses: a
// Record reused from packet to packet evaluates filters without
// allocating.
func (r *Record) values(f *field) []Value {
	r.scratch = f.get(r, r.scratch[:0])
	return r.scratch
}

// field is a filterable field: its name, kind and how to read its
// values from a record (appended to dst; none when absent).
type field struct {
	name string
	kind Kind
	max  uint64 // the largest value a literal may have (unsigned fields)
	get  func(r *Record, dst []Value) []Value
}

var fieldByName = map[string]*field{}

// Fields returns the names of the fields filters can use, sorted.
func Fields() []string {
	names := make([]string, 0, len(fieldByName))
	for n := range fieldByName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func def(name string, kind Kind, get func(r *Record, dst []Value) []Value) {
	fieldByName[name] = &field{name: name, kind: kind, max: 1<<32 - 1, get: get}
}

// widths holds the unsigned fields narrower than 32 bits, by their type's
// width in bits (Wireshark checks a literal against the type, not a
// bit mask).
var widths = map[string]uint{
	"tcp.srcport": 16, "tcp.dstport": 16, "tcp.port": 16, "tcp.hdr_len": 8, "tcp.flags": 16,
	"tcp.window_size_value": 16, "tcp.checksum": 16, "tcp.urgent_pointer": 16,
	"ip.ttl": 8, "ip.id": 16, "ipv6.hlim": 8, "ip.dsfield.ecn": 8,
	"tcp.options.mss_val": 16, "tcp.options.wscale.shift": 8,
}

func u(x uint64) Value   { return Value{U: x, kind: KindUint} }
func fl(x float64) Value { return Value{F: x, kind: KindFloat} }
func addr(a netip.Addr) Value {
	return Value{A: netip.PrefixFrom(a, a.BitLen()), kind: KindAddr}
}

// present is the value of a field of KindNone that is there.
var present = Value{kind: KindNone}

// uintField defines a field with one unsigned value, present when ok.
func uintField(name string, get func(r *Record) (uint64, bool)) {
	def(name, KindUint, func(r *Record, dst []Value) []Value {
		if v, ok := get(r); ok {
			return append(dst, u(v))
		}
		return dst
	})
}

func init() {
	frameFields()
	ipFields()
	tcpFields()
	flagFields()
	analysisFields()
	optionFields()
	for name, bits := range widths {
		fieldByName[name].max = 1<<bits - 1
	}
	hideBogus()
	columnTexts()
	hideCut()
}

func frameFields() {
	def("frame", KindNone, func(r *Record, dst []Value) []Value { return append(dst, present) })
	uintField("frame.number", func(r *Record) (uint64, bool) { return uint64(r.Frame), true })
	uintField("frame.len", func(r *Record) (uint64, bool) { return uint64(r.Len), true })
	def("frame.time_relative", KindFloat, func(r *Record, dst []Value) []Value { return append(dst, fl(r.Time)) })
}

func ipFields() {
	for _, v := range []struct {
		proto   string
		version int
	}{{"ip", 4}, {"ipv6", 6}} {
		version := v.version
		def(v.proto, KindNone, func(r *Record, dst []Value) []Value {
			if r.P.IPVersion == version {
				return append(dst, present)
			}
			return dst
		})
		def(v.proto+".src", KindAddr, func(r *Record, dst []Value) []Value {
			if r.P.IPVersion == version {
				return append(dst, addr(r.P.Src))
			}
			return dst
		})
		def(v.proto+".dst", KindAddr, func(r *Record, dst []Value) []Value {
			if r.P.IPVersion == version {
				return append(dst, addr(r.P.Dst))
			}
			return dst
		})
		def(v.proto+".addr", KindAddr, func(r *Record, dst []Value) []Value {
			if r.P.IPVersion == version {
				return append(dst, addr(r.P.Src), addr(r.P.Dst))
			}
			return dst
		})
	}
	uintField("ip.ttl", func(r *Record) (uint64, bool) { return uint64(r.P.TTL), r.P.IPVersion == 4 })
	uintField("ip.id", func(r *Record) (uint64, bool) { return uint64(r.P.IPID), r.P.IPVersion == 4 })
	uintField("ipv6.hlim", func(r *Record) (uint64, bool) { return uint64(r.P.TTL), r.P.IPVersion == 6 })
	uintField("ip.dsfield.ecn", func(r *Record) (uint64, bool) { return uint64(r.P.TOS & 3), r.P.IPVersion == 4 })
}

func tcpFields() {
	def("tcp", KindNone, func(r *Record, dst []Value) []Value { return append(dst, present) })
	uintField("tcp.srcport", func(r *Record) (uint64, bool) { return uint64(r.P.TCP.SrcPort()), true })
	uintField("tcp.dstport", func(r *Record) (uint64, bool) { return uint64(r.P.TCP.DstPort()), true })
	def("tcp.port", KindUint, func(r *Record, dst []Value) []Value {
		return append(dst, u(uint64(r.P.TCP.SrcPort())), u(uint64(r.P.TCP.DstPort())))
	})
	uintField("tcp.stream", func(r *Record) (uint64, bool) { return uint64(r.R.Stream), true })
	uintField("tcp.seq", func(r *Record) (uint64, bool) { return uint64(r.R.Seq), true })
	uintField("tcp.seq_raw", func(r *Record) (uint64, bool) { return uint64(r.R.SeqRaw), true })
	uintField("tcp.ack", func(r *Record) (uint64, bool) { return uint64(r.R.Ack), true })
	uintField("tcp.ack_raw", func(r *Record) (uint64, bool) { return uint64(r.R.AckRaw), true })
	uintField("tcp.len", func(r *Record) (uint64, bool) { return uint64(r.R.Len), r.R.HaveLen })
	uintField("tcp.nxtseq", func(r *Record) (uint64, bool) { return uint64(r.R.NextSeq), r.R.HaveLen })
	uintField("tcp.hdr_len", func(r *Record) (uint64, bool) { return uint64(r.P.TCP.HeaderLen()), true })
	uintField("tcp.flags", func(r *Record) (uint64, bool) { return uint64(r.R.TCPFlags), true })
	uintField("tcp.window_size_value", func(r *Record) (uint64, bool) { return uint64(r.R.WinRaw), true })
	uintField("tcp.window_size", func(r *Record) (uint64, bool) { return uint64(r.R.Win), true })
	uintField("tcp.checksum", func(r *Record) (uint64, bool) {
		return uint64(binary.BigEndian.Uint16(r.P.TCP[16:])), len(r.P.TCP) >= 18
	})
	uintField("tcp.urgent_pointer", func(r *Record) (uint64, bool) { return uint64(r.P.TCP.UrgentPointer()), len(r.P.TCP) >= 20 })
	def("tcp.payload", KindBytes, func(r *Record, dst []Value) []Value {
		if pl := payload(r); len(pl) > 0 {
			return append(dst, Value{B: pl, kind: KindBytes})
		}
		return dst
	})
}

// payload returns the segment's payload bytes captured.
func payload(r *Record) []byte {
	t := r.P.TCP
	if len(t) < 20 || !r.R.HaveLen || r.R.Len == 0 {
		return nil
	}
	h := t.HeaderLen()
	end := min(h+int(r.R.Len), len(t))
	if h >= end {
		return nil
	}
	return t[h:end]
}

// flagFields defines tcp.flags.* (1 or 0, always present).
func flagFields() {
	for name, bit := range map[string]uint16{
		"fin": decode.FlagFIN, "syn": decode.FlagSYN, "reset": decode.FlagRST, "push": decode.FlagPSH,
		"ack": decode.FlagACK, "urg": decode.FlagURG, "ece": decode.FlagECE, "cwr": decode.FlagCWR, "ae": decode.FlagAE,
	} {
		ace := bit == decode.FlagAE || bit == decode.FlagCWR || bit == decode.FlagECE
		def("tcp.flags."+name, KindBool, func(r *Record, dst []Value) []Value {
			if ace && r.R.ACE {
				// Wireshark shows these three bits as the AccECN
				// ACE counter (tcp.flags.ace) instead.
				return dst
			}
			var v uint64
			if r.R.TCPFlags&bit != 0 {
				v = 1
			}
			return append(dst, Value{U: v, kind: KindBool})
		})
	}
}

// analysisFields defines tcp.analysis.* from the analysis.
func analysisFields() {
	shown := func(r *Record) bool { return !r.R.Stopped() }
	def("tcp.analysis", KindNone, func(r *Record, dst []Value) []Value {
		if shown(r) && (r.R.SeqAnalysis || r.R.Analysis != 0) {
			return append(dst, present)
		}
		return dst
	})
	def("tcp.analysis.flags", KindNone, func(r *Record, dst []Value) []Value {
		if shown(r) && r.R.Analysis != 0 {
			return append(dst, present)
		}
		return dst
	})
	for f := tcpanalysis.Flags(1); f != 0 && f.Name() != ""; f <<= 1 {
		flag := f
		if f == tcpanalysis.Retransmission {
			// Wireshark marks fast and spurious retransmissions as
			// retransmissions too.
			flag |= tcpanalysis.FastRetransmission | tcpanalysis.SpuriousRetransmission
		}
		def("tcp.analysis."+f.Name(), KindNone, func(r *Record, dst []Value) []Value {
			if shown(r) && r.R.Analysis&flag != 0 {
				return append(dst, present)
			}
			return dst
		})
	}
	uintField("tcp.analysis.acks_frame", func(r *Record) (uint64, bool) { return uint64(r.R.AckedFrame), shown(r) && r.R.AckedFrame != 0 })
	def("tcp.analysis.ack_rtt", KindFloat, func(r *Record, dst []Value) []Value {
		if shown(r) && r.R.AckRTT != 0 {
			return append(dst, fl(float64(r.R.AckRTT)/1e9))
		}
		return dst
	})
	uintField("tcp.analysis.bytes_in_flight", func(r *Record) (uint64, bool) {
		return uint64(r.R.BytesInFlight), shown(r) && r.R.BytesInFlight != 0
	})
	uintField("tcp.analysis.push_bytes_sent", func(r *Record) (uint64, bool) {
		return uint64(r.R.PushBytesSent), shown(r) && r.R.BytesInFlight != 0
	})
	uintField("tcp.analysis.duplicate_ack_num", func(r *Record) (uint64, bool) {
		return uint64(r.R.DupAckNum), shown(r) && r.R.Analysis&tcpanalysis.DuplicateAck != 0
	})
	uintField("tcp.analysis.duplicate_ack_frame", func(r *Record) (uint64, bool) {
		return uint64(r.R.DupAckOf), shown(r) && r.R.Analysis&tcpanalysis.DuplicateAck != 0
	})
}

// optionItems calls fn for each option Wireshark dissects in r's
// header, in order: its kind, its declared length (1 for EOL and NOP) and
// its bytes captured, cut at the end of the header. Wireshark's walk
// stops at EOL, at a length below 2 or missing, and after an option
// running past the header (whose item covers the rest of the header).
func optionItems(r *Record, fn func(kind byte, n int, b []byte)) {
	t := r.P.TCP
	if len(t) < 20 || r.R.BogusHeaderLen || t.HeaderLen() <= 20 {
		return
	}
	declared := t.HeaderLen() - 20
	opts := t[20:min(t.HeaderLen(), len(t))]
	for off := 0; off < len(opts); {
		kind := opts[off]
		if kind == decode.OptEOL || kind == decode.OptNOP {
			fn(kind, 1, opts[off:off+1])
			if kind == decode.OptEOL {
				return
			}
			off++
			continue
		}
		if off+1 >= len(opts) {
			return
		}
		n := int(opts[off+1])
		if n < 2 {
			return
		}
		fn(kind, n, opts[off:min(off+n, len(opts))])
		if off+n > declared {
			return
		}
		off += n
	}
}

// optionFields defines the presence of common options and their values,
// as far as the capture holds them.
func optionFields() {
	def("tcp.options", KindNone, func(r *Record, dst []Value) []Value {
		if len(r.P.TCP) >= 20 && !r.R.BogusHeaderLen && r.P.TCP.HeaderLen() > 20 {
			return append(dst, present)
		}
		return dst
	})
	for name, kind := range map[string]byte{"mss": decode.OptMSS, "wscale": decode.OptWS, "sack_perm": decode.OptSACKPerm, "sack": decode.OptSACK, "timestamp": decode.OptTimestamp} {
		def("tcp.options."+name, KindNone, func(r *Record, dst []Value) []Value {
			optionItems(r, func(k byte, _ int, _ []byte) {
				if k == kind {
					dst = append(dst, present)
				}
			})
			return dst
		})
	}
	// value defines a field read from an option of the given kind and
	// length, at off, size bytes, when captured.
	value := func(name string, kind byte, n, off, size int) {
		def(name, KindUint, func(r *Record, dst []Value) []Value {
			optionItems(r, func(k byte, l int, b []byte) {
				if k != kind || l != n || len(b) < off+size {
					return
				}
				var v uint64
				for _, c := range b[off : off+size] {
					v = v<<8 | uint64(c)
				}
				dst = append(dst, u(v))
			})
			return dst
		})
	}
	value("tcp.options.mss_val", decode.OptMSS, 4, 2, 2)
	value("tcp.options.wscale.shift", decode.OptWS, 3, 2, 1)
	value("tcp.options.timestamp.tsval", decode.OptTimestamp, 10, 2, 4)
	value("tcp.options.timestamp.tsecr", decode.OptTimestamp, 10, 6, 4)
}

// bogusHidden are the fields Wireshark does not show for a header whose
// data offset is below 5 words: it stops after the window.
var bogusHidden = []string{
	"tcp.ack", "tcp.ack_raw", "tcp.nxtseq", "tcp.flags", "tcp.window_size_value", "tcp.window_size",
	"tcp.checksum", "tcp.urgent_pointer", "tcp.payload",
}

// hideBogus makes the fields of bogusHidden, the flags and the analysis
// absent when the data offset is below 5 words.
// cutShown are the TCP fields tshark has for a header cut before its
// window (Record.Cut).
var cutShown = []string{"tcp", "tcp.srcport", "tcp.dstport", "tcp.port"}

// hideCut makes every other TCP field absent from a cut header's record,
// and its summary line the ports only, as tshark prints them.
func hideCut() {
	for name, f := range fieldByName {
		if !strings.HasPrefix(name, "tcp.") || slices.Contains(cutShown, name) {
			continue
		}
		get := f.get
		f.get = func(r *Record, dst []Value) []Value {
			if r.Cut {
				return dst
			}
			return get(r, dst)
		}
	}
	for name, text := range texts {
		if !strings.HasPrefix(name, "tcp") {
			continue
		}
		texts[name] = func(r *Record, dst [][]byte) [][]byte {
			switch {
			case !r.Cut:
				return text(r, dst)
			case name == "tcp":
				return append(dst, fmt.Appendf(nil, "Transmission Control Protocol, Src Port: %d, Dst Port: %d", r.P.TCP.SrcPort(), r.P.TCP.DstPort()))
			}
			return dst
		}
	}
}

func hideBogus() {
	for name, f := range fieldByName {
		if !slices.Contains(bogusHidden, name) && !strings.HasPrefix(name, "tcp.flags.") && !strings.HasPrefix(name, "tcp.analysis") {
			continue
		}
		get := f.get
		f.get = func(r *Record, dst []Value) []Value {
			if r.R.BogusHeaderLen {
				return dst
			}
			return get(r, dst)
		}
	}
}

// FieldRef is a field that a statistic reads values of (tshark's io,stat
// calculations).
type FieldRef struct{ f *field }

// LookupField returns the field called name, or an error naming it when
// tcplab does not know it.
func LookupField(name string) (*FieldRef, error) {
	f := fieldByName[name]
	if f == nil {
		return nil, fmt.Errorf("%q is not a field tcplab knows (see docs/filters.md)", name)
	}
	return &FieldRef{f}, nil
}

// Name returns the field's name.
func (f *FieldRef) Name() string { return f.f.name }

// Kind returns the field's type.
func (f *FieldRef) Kind() Kind { return f.f.kind }

// Values returns the field's values in r, in a buffer the next call on
// r reuses (no allocation once it has grown).
func (f *FieldRef) Values(r *Record) []Value { return r.values(f.f) }
