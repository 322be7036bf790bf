package listing

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
	"github.com/tcplab/tcplab/internal/tcpanalysis"
)

// The parity tests compare every contract field of every TCP packet with
// tshark's. tshark runs with every protocol above TCP disabled, so that
// Info holds TCP's own summary (the lab's port 2000 is otherwise
// dissected as Cisco SCCP).

// keptProtocols are the protocols tshark keeps enabled for the parity
// runs: the link and network layers tcplab decodes, and TCP.
var keptProtocols = map[string]bool{
	"frame": true, "eth": true, "ethertype": true, "vlan": true, "ieee8021ad": true,
	"sll": true, "null": true, "loop": true, "raw": true, "ip": true, "ipv6": true,
	"ipv6.dstopts": true, "ipv6.fraghdr": true, "ipv6.hopopts": true, "ipv6.routing": true,
	"tcp": true,
	// Further link types and tunnels (linktypes_test.go).
	"ppp": true, "ppp_hdlc": true, "chdlc": true, "pppoe": true, "pppoes": true, "wlan": true, "wlan_radio": true,
	"radiotap": true, "llc": true, "mpls": true, "pwethheuristic": true, "pwethcw": true, "gre": true, "udp": true,
	"vxlan": true, "geneve": true, "nflog": true, "pktap": true, "pcap_pktdata": true, "user_dlt": true,
	"juniper": true, "ipoib": true,
}

var (
	disableOnce sync.Once
	disableArgs []string
	disableErr  error
)

// tsharkDisableArgs returns --disable-protocol options for every protocol
// tshark knows but keptProtocols.
func tsharkDisableArgs(t *testing.T) []string {
	t.Helper()
	disableOnce.Do(func() {
		out, err := exec.Command("tshark", "-G", "protocols").Output()
		if err != nil {
			disableErr = err
			return
		}
		for line := range strings.SplitSeq(string(out), "\n") {
			f := strings.Split(line, "\t")
			if len(f) < 3 || keptProtocols[f[2]] {
				continue
			}
			disableArgs = append(disableArgs, "--disable-protocol", f[2])
		}
	})
	if disableErr != nil {
		t.Fatalf("tshark -G protocols: %v", disableErr)
	}
	return disableArgs
}

func needTshark(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("parity tests run tshark many times: not in -short")
	}
	pcaptest.NeedTools(t, "tshark")
}

// parityFields are the tshark fields compared, in this order.
var parityFields = []string{
	"frame.number", "frame.time_relative", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst",
	"tcp.srcport", "tcp.dstport", "tcp.stream", "tcp.flags", "tcp.seq", "tcp.seq_raw",
	"tcp.ack", "tcp.ack_raw", "tcp.len", "tcp.window_size_value", "tcp.window_size",
	"tcp.window_size_scalefactor", "tcp.checksum",
	"tcp.analysis.duplicate_ack_frame", "tcp.analysis.duplicate_ack_num",
	"tcp.analysis.acks_frame", "tcp.analysis.ack_rtt", "tcp.analysis.bytes_in_flight",
	"tcp.analysis.push_bytes_sent", "_ws.col.Info", "frame.protocols",
}

// analysisFields are the flag fields, named like the contract's analysis
// list.
var analysisFields = func() []string {
	var names []string
	for f := tcpanalysis.Flags(1); f.Name() != ""; f <<= 1 {
		names = append(names, f.Name())
	}
	return names
}()

// record is a packet record as the contract describes it, parsed from
// tcplab's ndjson or built from tshark's fields.
type record struct {
	Type           string   `json:"type"`
	Frame          int64    `json:"frame"`
	Time           string   `json:"-"`
	TimeNS         int64    `json:"-"`
	Src            string   `json:"src"`
	Dst            string   `json:"dst"`
	Sport          int64    `json:"sport"`
	Dport          int64    `json:"dport"`
	Stream         int64    `json:"stream"`
	Flags          *int64   `json:"flags"`
	Seq            *int64   `json:"seq"`
	Ack            *int64   `json:"ack"`
	SeqRaw         int64    `json:"seq_raw"`
	AckRaw         *int64   `json:"ack_raw"`
	Len            *int64   `json:"len"`
	WinRaw         *int64   `json:"win_raw"`
	Win            *int64   `json:"win"`
	WinScale       *int64   `json:"win_scale"`
	Checksum       *int64   `json:"checksum"`
	ChecksumStatus string   `json:"checksum_status"`
	Analysis       []string `json:"analysis"`
	DupAckOf       *int64   `json:"dup_ack_of"`
	DupAckNum      *int64   `json:"dup_ack_num"`
	AcksFrame      *int64   `json:"acks_frame"`
	AckRTT         string   `json:"-"`
	BytesInFlight  *int64   `json:"bytes_in_flight"`
	PushBytesSent  *int64   `json:"push_bytes_sent"`
	Info           string   `json:"info"`
}

// fieldDiffs lists the fields where got differs from want.
func fieldDiffs(want, got *record) []string {
	var d []string
	add := func(name string, w, g any) {
		if fmt.Sprint(w) != fmt.Sprint(g) {
			d = append(d, fmt.Sprintf("%s: tshark %v, tcplab %v", name, w, g))
		}
	}
	ptr := func(p *int64) any {
		if p == nil {
			return "-"
		}
		return *p
	}
	add("time", want.TimeNS, got.TimeNS)
	add("src", want.Src, got.Src)
	add("dst", want.Dst, got.Dst)
	add("sport", want.Sport, got.Sport)
	add("dport", want.Dport, got.Dport)
	add("stream", want.Stream, got.Stream)
	add("flags", ptr(want.Flags), ptr(got.Flags))
	add("seq", ptr(want.Seq), ptr(got.Seq))
	add("ack", ptr(want.Ack), ptr(got.Ack))
	add("seq_raw", want.SeqRaw, got.SeqRaw)
	add("ack_raw", ptr(want.AckRaw), ptr(got.AckRaw))
	add("len", ptr(want.Len), ptr(got.Len))
	add("win_raw", ptr(want.WinRaw), ptr(got.WinRaw))
	add("win", ptr(want.Win), ptr(got.Win))
	add("win_scale", ptr(want.WinScale), ptr(got.WinScale))
	add("checksum", ptr(want.Checksum), ptr(got.Checksum))
	gotStatus := got.ChecksumStatus
	if gotStatus == "partial" {
		// Deliberate difference: tshark calls an offloaded checksum bad.
		gotStatus = "bad"
	}
	if gotStatus == "good" && want.ChecksumStatus == "bad" && want.Checksum != nil && *want.Checksum == 0xffff {
		// Deliberate difference (README): 0xFFFF where 0x0000 is due
		// is good (RFC 1624); tshark calls it bad. Real captures meet
		// it about once in 65,536 segments.
		gotStatus = "bad"
	}
	add("checksum_status", want.ChecksumStatus, gotStatus)
	add("analysis", strings.Join(want.Analysis, ","), strings.Join(got.Analysis, ","))
	add("dup_ack_of", ptr(want.DupAckOf), ptr(got.DupAckOf))
	add("dup_ack_num", ptr(want.DupAckNum), ptr(got.DupAckNum))
	add("acks_frame", ptr(want.AcksFrame), ptr(got.AcksFrame))
	add("ack_rtt", want.AckRTT, got.AckRTT)
	add("bytes_in_flight", ptr(want.BytesInFlight), ptr(got.BytesInFlight))
	add("push_bytes_sent", ptr(want.PushBytesSent), ptr(got.PushBytesSent))
	add("info", want.Info, got.Info)
	return d
}

// parseNS parses a decimal number of seconds into nanoseconds.
func parseNS(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, err
	}
	frac = (frac + "000000000")[:9]
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, err
	}
	ns := w*1e9 + f
	if neg {
		ns = -ns
	}
	return ns, nil
}

// tsharkRecords runs tshark over file and returns its TCP packets as
// contract records, by frame number.
func tsharkRecords(t *testing.T, file string) map[int64]*record {
	t.Helper()
	fields := append([]string(nil), parityFields...)
	for _, n := range analysisFields {
		fields = append(fields, "tcp.analysis."+n)
	}
	// The last occurrence: a tunnel's inner header, whose addresses the
	// contract's src and dst are (tshark's Source and Destination columns).
	args := []string{"-r", file, "-T", "fields", "-E", "occurrence=l"}
	args = append(args, tsharkDisableArgs(t)...)
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	out, err := exec.Command("tshark", args...).Output()
	if err != nil {
		t.Fatalf("tshark fields: %v", err)
	}
	// The checksum status needs checksum validation, which also changes
	// Info; a second run reads it alone.
	args2 := []string{"-r", file, "-T", "fields", "-E", "occurrence=f", "-o", "tcp.check_checksum:TRUE",
		"-e", "frame.number", "-e", "tcp.checksum.status"}
	args2 = append(args2, tsharkDisableArgs(t)...)
	out2, err := exec.Command("tshark", args2...).Output()
	if err != nil {
		t.Fatalf("tshark checksum status: %v", err)
	}
	status := map[string]string{}
	for line := range strings.SplitSeq(string(out2), "\n") {
		f := strings.Split(line, "\t")
		if len(f) == 2 {
			status[f[0]] = map[string]string{"0": "bad", "1": "good", "2": "unverified"}[f[1]]
		}
	}
	recs := map[int64]*record{}
	for line := range strings.SplitSeq(strings.TrimRight(string(out), "\n"), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != len(fields) {
			t.Fatalf("tshark line has %d fields, want %d: %q", len(f), len(fields), line)
		}
		v := map[string]string{}
		for i, name := range fields {
			v[name] = f[i]
		}
		if v["tcp.stream"] == "" {
			continue
		}
		num := func(name string) int64 {
			s := v[name]
			base := 10
			if strings.HasPrefix(s, "0x") {
				s, base = s[2:], 16
			}
			n, err := strconv.ParseInt(s, base, 64)
			if err != nil {
				t.Fatalf("frame %s: tshark field %s = %q: %v", v["frame.number"], name, v[name], err)
			}
			return n
		}
		opt := func(name string) *int64 {
			if v[name] == "" {
				return nil
			}
			n := num(name)
			return &n
		}
		if v["ip.src"] != "" && v["ipv6.src"] != "" {
			// IPv4 and IPv6 both: the one dissected last is the inner one.
			if strings.LastIndex(v["frame.protocols"], ":ip:") > strings.LastIndex(v["frame.protocols"], ":ipv6:") {
				v["ipv6.src"], v["ipv6.dst"] = "", ""
			} else {
				v["ip.src"], v["ip.dst"] = "", ""
			}
		}
		r := &record{Type: "packet", Frame: num("frame.number"), Src: v["ip.src"] + v["ipv6.src"], Dst: v["ip.dst"] + v["ipv6.dst"],
			Sport: num("tcp.srcport"), Dport: num("tcp.dstport"), Stream: num("tcp.stream"), Flags: opt("tcp.flags"),
			Seq: opt("tcp.seq"), SeqRaw: num("tcp.seq_raw"), Len: opt("tcp.len"),
			WinRaw: opt("tcp.window_size_value"), Win: opt("tcp.window_size"), WinScale: opt("tcp.window_size_scalefactor"),
			Checksum: opt("tcp.checksum"), ChecksumStatus: status[v["frame.number"]],
			DupAckOf: opt("tcp.analysis.duplicate_ack_frame"), DupAckNum: opt("tcp.analysis.duplicate_ack_num"),
			AcksFrame: opt("tcp.analysis.acks_frame"), AckRTT: v["tcp.analysis.ack_rtt"],
			BytesInFlight: opt("tcp.analysis.bytes_in_flight"), PushBytesSent: opt("tcp.analysis.push_bytes_sent"),
			Info: v["_ws.col.Info"]}
		if r.ChecksumStatus == "" {
			// A header cut before its checksum: tshark has no status.
			r.ChecksumStatus = "unverified"
		}
		r.TimeNS, err = parseNS(v["frame.time_relative"])
		if err != nil {
			t.Fatalf("frame %d: time %q: %v", r.Frame, v["frame.time_relative"], err)
		}
		if r.Flags != nil && *r.Flags&0x10 != 0 {
			r.Ack, r.AckRaw = opt("tcp.ack"), opt("tcp.ack_raw")
		}
		for _, n := range analysisFields {
			if v["tcp.analysis."+n] != "" {
				r.Analysis = append(r.Analysis, n)
			}
		}
		recs[r.Frame] = r
	}
	return recs
}

// ourRecords runs tcplab's analysis over file in ndjson and returns the
// packet records by frame number.
func ourRecords(t *testing.T, file string) (map[int64]*record, []byte) {
	t.Helper()
	out := []byte(ourOutput(t, file, Options{Format: NDJSON, Follow: -1}))
	recs := map[int64]*record{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var r record
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("ndjson line %q: %v", line, err)
		}
		if r.Type != "packet" {
			continue
		}
		var raw struct {
			Time   json.Number `json:"time"`
			AckRTT json.Number `json:"ack_rtt"`
		}
		if err := json.Unmarshal(line, &raw); err != nil {
			t.Fatal(err)
		}
		r.AckRTT = raw.AckRTT.String()
		var err error
		r.TimeNS, err = parseNS(raw.Time.String())
		if err != nil {
			t.Fatalf("frame %d: time %q: %v", r.Frame, raw.Time, err)
		}
		recs[r.Frame] = &r
	}
	return recs, out
}

// compareWithTshark compares every field of every TCP packet of file with
// tshark's, then the text packet list with tshark's default output, and
// reports each difference by frame. It returns the number of TCP packets.
func compareWithTshark(t *testing.T, file string) int {
	t.Helper()
	want := tsharkRecords(t, file)
	got, _ := ourRecords(t, file)
	var frames []int64
	for n := range want {
		frames = append(frames, n)
	}
	for n := range got {
		if want[n] == nil {
			frames = append(frames, n)
		}
	}
	sort.Slice(frames, func(i, j int) bool { return frames[i] < frames[j] })
	bad := 0
	for _, n := range frames {
		w, g := want[n], got[n]
		switch {
		case g == nil:
			t.Errorf("frame %d: tshark has a TCP packet, tcplab none (%s)", n, w.Info)
			bad++
		case w == nil:
			t.Errorf("frame %d: tcplab has a TCP packet, tshark none (%s)", n, g.Info)
			bad++
		default:
			if d := fieldDiffs(w, g); len(d) > 0 {
				t.Errorf("frame %d:\n\t%s", n, strings.Join(d, "\n\t"))
				bad++
			}
		}
		if bad > 20 {
			t.Fatalf("too many differing frames; stopping")
		}
	}
	var streams []int
	for n := range 3 {
		for _, r := range want {
			if r.Stream == int64(n) {
				streams = append(streams, n)
				break
			}
		}
	}
	list, conv, follows := tsharkListing(t, file, streams)
	compareText(t, file, list)
	compareConversations(t, file, conv)
	compareHealth(t, file)
	for _, n := range streams {
		compareFollow(t, file, n, follows[n])
	}
	seen := map[string]int{}
	for _, r := range want {
		for _, a := range r.Analysis {
			seen[a]++
		}
	}
	t.Logf("%d TCP packets, tshark's expert flags: %v", len(want), seen)
	return len(want)
}

// tsharkListing runs `tshark -r FILE -z conv,tcp -z follow,tcp,ascii,N...`
// once and splits what it prints: the packet list's lines, the
// conversation table, and the follow output of each stream.
func tsharkListing(t *testing.T, file string, streams []int) ([]string, string, map[int]string) {
	t.Helper()
	args := append([]string{"-r", file, "-z", "conv,tcp"}, tsharkDisableArgs(t)...)
	for _, n := range streams {
		args = append(args, "-z", "follow,tcp,ascii,"+strconv.Itoa(n))
	}
	raw, err := exec.Command("tshark", args...).Output()
	if err != nil {
		t.Fatalf("tshark -r -z: %v", err)
	}
	out := string(raw)
	// The packet lines come first; the statistics start with an empty
	// line or a rule.
	end := len(out)
	for off := 0; off < len(out); {
		nl := strings.IndexByte(out[off:], '\n')
		if nl < 0 {
			break
		}
		if line := out[off : off+nl]; line == "" || strings.HasPrefix(line, "=") {
			end = off
			break
		}
		off += nl + 1
	}
	var lines []string
	for line := range strings.SplitSeq(strings.TrimRight(out[:end], "\n"), "\n") {
		// No., Time, Source, →, Destination, Protocol: TCP frames only
		// (with the protocols above TCP disabled, every TCP frame says
		// TCP).
		if f := strings.Fields(line); len(f) > 5 && f[5] == "TCP" {
			lines = append(lines, line)
		}
	}
	stats := out[end:]
	conv := ""
	if i := strings.Index(stats, convRule+"TCP Conversations"); i >= 0 {
		stats, conv = stats[:i], stats[i:]
	}
	follows := map[int]string{}
	sep := "\n" + followRule + "Follow: "
	for _, p := range strings.Split(stats, sep)[1:] {
		block := sep + p
		_, rest, _ := strings.Cut(block, "Filter: tcp.stream eq ")
		num, _, _ := strings.Cut(rest, "\n")
		n, err := strconv.Atoi(num)
		if err != nil {
			t.Fatalf("tshark follow output without a stream number: %q", block)
		}
		follows[n] = block
	}
	return lines, conv, follows
}

// compareText compares tcplab's text packet list with tshark's lines for
// the TCP frames.
func compareText(t *testing.T, file string, want []string) {
	t.Helper()
	out := withoutSkipLine(ourOutput(t, file, Options{Format: Text, NoConversations: true, Follow: -1}))
	got := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if out == "" {
		got = nil
	}
	shown := 0
	for i := 0; i < max(len(want), len(got)) && shown < 10; i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			t.Errorf("packet list line %d:\ntshark: %q\ntcplab: %q", i+1, w, g)
			shown++
		}
	}
}

// tcpdump captures on iface into a file in a temporary directory (or
// TCPLAB_PARITY_KEEP, to keep it) with extra tcpdump arguments (a filter
// last) while fn runs, and returns the file. When path is given, it
// receives the file's name before fn runs, so that fn can read the
// capture so far (tcpdump writes each packet at once).
func tcpdump(t *testing.T, iface string, extra []string, fn func(), path ...*string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "capture.pcap")
	if dir := os.Getenv("TCPLAB_PARITY_KEEP"); dir != "" {
		// Keep the capture for inspection.
		file = filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".pcap")
	}
	for _, p := range path {
		*p = file
	}
	pcaptest.Tcpdump(t, file, append([]string{"-i", iface}, extra...), fn)
	if st, err := os.Stat(file); err == nil && testing.Verbose() {
		t.Logf("captured %d bytes", st.Size())
	}
	return file
}

// ourOutput runs tcplab over file with opts and returns what it prints.
func ourOutput(t *testing.T, file string, opts Options) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Run(context.Background(), pcaptest.Open(t, file), &buf, opts); err != nil {
		t.Fatalf("Run(%s): %v", file, err)
	}
	return buf.String()
}

// compareConversations compares the conversation table with tshark's
// -z conv,tcp: each of tshark's lines must start tcplab's, which only
// adds its State and iRTT columns.
func compareConversations(t *testing.T, file string, out string) {
	t.Helper()
	want := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	text := withoutSkipLine(ourOutput(t, file, Options{Format: Text, Follow: -1}))
	all := strings.Split(strings.TrimRight(text, "\n"), "\n")
	start := len(all)
	for i, l := range all {
		if l == strings.TrimRight(convRule, "\n") {
			start = i
			break
		}
	}
	got := all[start:]
	// The health table follows tcplab's: the table ends at its second
	// rule.
	for i := 1; i < len(got); i++ {
		if got[i] == strings.TrimRight(convRule, "\n") {
			got = got[:i+1]
			break
		}
	}
	if len(got) != len(want) {
		t.Errorf("conversation table: %d lines, tshark %d:\ntshark:\n%s\ntcplab:\n%s", len(got), len(want), out, strings.Join(got, "\n"))
		return
	}
	for i := range want {
		w, g := want[i], got[i]
		if g != w && !(strings.HasPrefix(g, w) && g[len(w)] == ' ') {
			t.Errorf("conversation table line %d:\ntshark: %q\ntcplab: %q", i+1, w, g)
		}
	}
}

// compareFollow compares --follow N with tshark's -z follow,tcp,ascii,N.
func compareFollow(t *testing.T, file string, stream int, out string) {
	t.Helper()
	got := ourOutput(t, file, Options{Format: Text, Follow: stream})
	if got != out {
		t.Errorf("follow stream %d:\ntshark:\n%s\ntcplab:\n%s", stream, out, got)
	}
}

// withoutSkipLine drops the last line of tcplab's text output when it
// counts the frames not analysed, which tshark does not print.
func withoutSkipLine(out string) string {
	body := strings.TrimSuffix(out, "\n")
	i := strings.LastIndexByte(body, '\n') + 1
	if strings.Contains(body[i:], " not analysed: ") {
		return body[:i]
	}
	return out
}
