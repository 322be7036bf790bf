package listing

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// healthRecord is the health part of an ndjson stream record.
type healthRecord struct {
	Stream         int      `json:"stream"`
	Client         string   `json:"client"`
	BytesC2S       uint64   `json:"bytes_c2s"`
	BytesS2C       uint64   `json:"bytes_s2c"`
	RetransC2S     uint64   `json:"retrans_c2s"`
	RetransS2C     uint64   `json:"retrans_s2c"`
	RTTMinC2S      *float64 `json:"rtt_min_c2s"`
	RTTAvgC2S      *float64 `json:"rtt_avg_c2s"`
	RTTMaxC2S      *float64 `json:"rtt_max_c2s"`
	RTTSamplesC2S  uint64   `json:"rtt_samples_c2s"`
	RTTMinS2C      *float64 `json:"rtt_min_s2c"`
	RTTAvgS2C      *float64 `json:"rtt_avg_s2c"`
	RTTMaxS2C      *float64 `json:"rtt_max_s2c"`
	RTTSamplesS2C  uint64   `json:"rtt_samples_s2c"`
	ZeroWindowC2S  float64  `json:"zero_window_c2s"`
	ZeroWindowS2C  float64  `json:"zero_window_s2c"`
	MaxInFlightC2S uint64   `json:"max_in_flight_c2s"`
	MaxInFlightS2C uint64   `json:"max_in_flight_s2c"`
	History        string   `json:"history"`
	Type           string   `json:"type"`
}

// dirHealth is one direction's health worked out from tshark's fields.
type dirHealth struct {
	spans       [][2]uint64 // payload ranges, unwrapped
	pos         uint64
	moved       bool
	rtt         []int64
	maxInFlight uint64
	zeroAt      int64
	zeroOpen    bool
	zeroTime    int64
	sent        uint64
}

// add counts a payload range of n bytes from rel, unwrapped near the
// last one as tcplab's coverage unwraps it.
func (d *dirHealth) add(rel uint32, n uint64) {
	u := uint64(rel)
	if d.moved {
		u = d.pos + uint64(int64(int32(rel-uint32(d.pos))))
		if int64(u) < 0 {
			u = 0
		}
	}
	d.pos, d.moved = u, true
	d.spans = append(d.spans, [2]uint64{u, u + n})
	d.sent += n
}

// union returns the bytes the ranges cover.
func (d *dirHealth) union() uint64 {
	s := slices.Clone(d.spans)
	slices.SortFunc(s, func(a, b [2]uint64) int { return int(int64(a[0] - b[0])) })
	var n, end uint64
	for _, r := range s {
		lo := max(r[0], end)
		if r[1] > lo {
			n += r[1] - lo
			end = r[1]
		}
	}
	return n
}

func ns(field string) int64 {
	secs, frac, _ := strings.Cut(field, ".")
	s, _ := strconv.ParseInt(secs, 10, 64)
	frac = (frac + "000000000")[:9]
	f, _ := strconv.ParseInt(frac, 10, 64)
	return s*1e9 + f
}

// tsharkHealth works out each stream's health, direction by direction
// (by the client's address and port in clients), from tshark's fields
// of file: ack_rtt, bytes_in_flight, the window, the flags, the
// relative sequence numbers and lengths.
func tsharkHealth(t *testing.T, file string, clients map[int]netip.AddrPort) (map[int]*[2]dirHealth, map[int]int64) {
	args := []string{"-r", file, "-Y", "tcp", "-T", "fields", "-E", "occurrence=l",
		"-e", "tcp.stream", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "frame.time_relative",
		"-e", "tcp.flags", "-e", "tcp.seq", "-e", "tcp.len", "-e", "tcp.window_size_value", "-e", "tcp.hdr_len",
		"-e", "tcp.analysis.ack_rtt", "-e", "tcp.analysis.bytes_in_flight", "-e", "frame.protocols"}
	raw, err := exec.Command("tshark", append(args, tsharkDisableArgs(t)...)...).Output()
	if err != nil {
		t.Fatalf("tshark -T fields: %v", err)
	}
	out := string(raw)
	health := map[int]*[2]dirHealth{}
	last := map[int]int64{}
	for line := range strings.Lines(out) {
		f := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
		st, _ := strconv.Atoi(f[0])
		// The innermost IP layer's source (tunnels hold two).
		src := f[1]
		if protos := strings.Split(f[12], ":"); f[2] != "" && (src == "" || slices.Index(protos, "ipv6") > slices.Index(protos, "ip")) {
			src = f[2]
		}
		port, _ := strconv.Atoi(f[3])
		ts := ns(f[4])
		last[st] = ts
		h := health[st]
		if h == nil {
			h = new([2]dirHealth)
			health[st] = h
		}
		d := 0
		if netip.AddrPortFrom(netip.MustParseAddr(src), uint16(port)) != clients[st] {
			d = 1
		}
		flags, _ := strconv.ParseUint(strings.TrimPrefix(f[5], "0x"), 16, 16)
		hdr, _ := strconv.Atoi(f[9])
		if f[10] != "" {
			h[1-d].rtt = append(h[1-d].rtt, ns(f[10]))
		}
		if f[11] != "" {
			n, _ := strconv.ParseUint(f[11], 10, 64)
			h[d].maxInFlight = max(h[d].maxInFlight, n)
		}
		if hdr < 20 || f[8] == "" {
			continue // a bogus header length: no window, no payload counted
		}
		if n, _ := strconv.ParseUint(f[7], 10, 64); n > 0 {
			seq, _ := strconv.ParseUint(f[6], 10, 32)
			if flags&0x02 != 0 {
				seq++
			}
			h[d].add(uint32(seq), n)
		}
		// The receiver of the other direction speaks with its window.
		o := &h[1-d]
		switch win := f[8]; {
		case win == "0" && flags&0x07 == 0:
			if !o.zeroOpen {
				o.zeroOpen, o.zeroAt = true, ts
			}
		case win != "0" && o.zeroOpen:
			o.zeroOpen = false
			o.zeroTime += ts - o.zeroAt
		}
	}
	return health, last
}

func rttStats(samples []int64) (lo, avg, hi *float64, n uint64) {
	if len(samples) == 0 {
		return nil, nil, nil, 0
	}
	var sum int64
	for _, s := range samples {
		sum += s
	}
	f := func(v int64) *float64 {
		x, _ := strconv.ParseFloat(fmt.Sprintf("%d.%09d", v/1e9, v%1e9), 64)
		return &x
	}
	n = uint64(len(samples))
	return f(slices.Min(samples)), f((sum + int64(n/2)) / int64(n)), f(slices.Max(samples)), n
}

func zeroTime(d *dirHealth, last int64) float64 {
	t := d.zeroTime
	if d.zeroOpen {
		t += last - d.zeroAt
	}
	x, _ := strconv.ParseFloat(fmt.Sprintf("%d.%09d", t/1e9, t%1e9), 64)
	return x
}

// compareHealth compares the health of each stream record of tcplab's
// ndjson for file (RTT, bytes in flight, zero-window time, distinct and
// resent bytes) with what tshark's ack_rtt, bytes_in_flight, window,
// flags, seq and len give, and returns the streams compared.
func compareHealth(t *testing.T, file string) int {
	t.Helper()
	out := ourOutput(t, file, Options{Format: NDJSON, Follow: -1})
	recs := map[int]healthRecord{}
	clients := map[int]netip.AddrPort{}
	for line := range strings.Lines(out) {
		var r healthRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		if r.Type == "stream" {
			recs[r.Stream] = r
			clients[r.Stream] = netip.MustParseAddrPort(r.Client)
		}
	}
	health, last := tsharkHealth(t, file, clients)
	for st, r := range recs {
		h := health[st]
		if h == nil {
			continue // no packet tshark calls TCP (a cut header)
		}
		want := r
		want.BytesC2S, want.BytesS2C = h[0].union(), h[1].union()
		want.RetransC2S, want.RetransS2C = h[0].sent-want.BytesC2S, h[1].sent-want.BytesS2C
		want.RTTMinC2S, want.RTTAvgC2S, want.RTTMaxC2S, want.RTTSamplesC2S = rttStats(h[0].rtt)
		want.RTTMinS2C, want.RTTAvgS2C, want.RTTMaxS2C, want.RTTSamplesS2C = rttStats(h[1].rtt)
		want.ZeroWindowC2S, want.ZeroWindowS2C = zeroTime(&h[0], last[st]), zeroTime(&h[1], last[st])
		want.MaxInFlightC2S, want.MaxInFlightS2C = h[0].maxInFlight, h[1].maxInFlight
		if diff := cmp.Diff(want, r); diff != "" {
			t.Errorf("stream %d health (-from tshark's fields +tcplab):\n%s", st, diff)
		}
	}
	var samples, zero, resent uint64
	for _, r := range recs {
		samples += r.RTTSamplesC2S + r.RTTSamplesS2C
		resent += r.RetransC2S + r.RetransS2C
		if r.ZeroWindowC2S+r.ZeroWindowS2C > 0 {
			zero++
		}
	}
	t.Logf("health of %d streams equal: %d RTT samples, %d bytes resent, %d streams with a zero window", len(recs), samples, resent, zero)
	return len(recs)
}
