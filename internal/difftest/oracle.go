package difftest

import (
	"bytes"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The oracle runs tshark 4.0 with every protocol above TCP disabled (Info
// then holds TCP's own summary), as the listing package's parity tests
// do, and reads its fields.

// keptProtocols are the protocols tshark keeps: the link and network
// layers tcplab decodes, and TCP.
var keptProtocols = map[string]bool{
	"frame": true, "eth": true, "ethertype": true, "vlan": true, "ieee8021ad": true,
	"sll": true, "null": true, "loop": true, "raw": true, "ip": true, "ipv6": true,
	"ipv6.dstopts": true, "ipv6.fraghdr": true, "ipv6.hopopts": true, "ipv6.routing": true,
	"tcp": true,
	// Further link types and tunnels.
	"ppp": true, "ppp_hdlc": true, "chdlc": true, "pppoe": true, "pppoes": true, "wlan": true, "wlan_radio": true,
	"radiotap": true, "llc": true, "mpls": true, "pwethheuristic": true, "pwethcw": true, "gre": true, "udp": true,
	"vxlan": true, "geneve": true, "nflog": true, "juniper": true, "ipoib": true,
}

// tsharkFields maps tshark's fields to the contract's names; ack and
// ack_raw are kept only when the ACK flag is set, src and dst come from
// IPv4 or IPv6.
var tsharkFields = [][2]string{
	{"frame.number", "frame"}, {"frame.time_relative", "time"},
	{"ip.src", "src"}, {"ipv6.src", "src"}, {"ip.dst", "dst"}, {"ipv6.dst", "dst"},
	{"tcp.srcport", "sport"}, {"tcp.dstport", "dport"}, {"tcp.stream", "stream"},
	{"tcp.flags", "flags"}, {"tcp.seq", "seq"}, {"tcp.seq_raw", "seq_raw"},
	{"tcp.ack", "ack"}, {"tcp.ack_raw", "ack_raw"}, {"tcp.len", "len"},
	{"tcp.window_size_value", "win_raw"}, {"tcp.window_size", "win"},
	{"tcp.window_size_scalefactor", "win_scale"}, {"tcp.checksum", "checksum"},
	{"tcp.analysis.duplicate_ack_frame", "dup_ack_of"}, {"tcp.analysis.duplicate_ack_num", "dup_ack_num"},
	{"tcp.analysis.acks_frame", "acks_frame"}, {"tcp.analysis.ack_rtt", "ack_rtt"},
	{"tcp.analysis.bytes_in_flight", "bytes_in_flight"}, {"tcp.analysis.push_bytes_sent", "push_bytes_sent"},
	{"tcp.analysis.initial_rtt", "irtt"}, {"_ws.col.Info", "info"},
	{"frame.protocols", "protocols"},
}

// streamColumn is tcp.stream's place in tsharkFields.
var streamColumn = slices.IndexFunc(tsharkFields, func(f [2]string) bool { return f[0] == "tcp.stream" })

var (
	disableOnce sync.Once
	disableArgs []string
	disableErr  error
)

// tsharkDisable returns --disable-protocol options for every protocol
// tshark knows but keptProtocols.
func tsharkDisable() ([]string, error) {
	disableOnce.Do(func() {
		out, err := exec.Command("tshark", "-G", "protocols").Output()
		if err != nil {
			disableErr = fmt.Errorf("tshark -G protocols: %w", err)
			return
		}
		for line := range strings.SplitSeq(string(out), "\n") {
			f := strings.Split(line, "\t")
			if len(f) >= 3 && !keptProtocols[f[2]] {
				disableArgs = append(disableArgs, "--disable-protocol", f[2])
			}
		}
	})
	return disableArgs, disableErr
}

// runTshark runs tshark -T fields over file with extra options and the
// fields given, and returns its lines split at tabs, and what follows
// them (statistics asked for with -z), from the first line that starts
// with "=".
func runTshark(file string, extra []string, fields []string) ([][]string, string, error) {
	dis, err := tsharkDisable()
	if err != nil {
		return nil, "", err
	}
	args := append([]string{"-r", file, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a"}, extra...)
	args = append(args, dis...)
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("tshark", args...)
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		return nil, "", fmt.Errorf("tshark -r %s: %v: %s", file, err, stderr.Bytes())
	}
	out, stats := string(raw), ""
	if i := strings.Index(out, "\n="); i >= 0 {
		out, stats = out[:i+1], out[i+1:]
	} else if strings.HasPrefix(out, "=") {
		out, stats = "", out
	}
	var rows [][]string
	for line := range strings.SplitSeq(strings.TrimRight(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != len(fields) {
			return nil, "", fmt.Errorf("tshark -r %s: a line with %d fields, want %d: %q", file, len(f), len(fields), line)
		}
		rows = append(rows, f)
	}
	return rows, stats, nil
}

// Tshark returns tshark's analysis of file. The checksum status needs
// checksum validation, which also changes Info, so a second run (in
// parallel) reads it alone; checksum false leaves it out.
func Tshark(file string, checksum bool) (*Result, error) {
	var status map[string]string
	var conv []string
	var statusErr error
	var wg sync.WaitGroup
	if checksum {
		wg.Go(func() { status, conv, statusErr = checksumStatus(file) })
	}
	fields := make([]string, 0, len(tsharkFields)+len(AnalysisFlags))
	for _, f := range tsharkFields {
		fields = append(fields, f[0])
	}
	for _, n := range AnalysisFlags {
		fields = append(fields, "tcp.analysis."+n)
	}
	rows, _, err := runTshark(file, nil, fields)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if statusErr != nil {
		return nil, statusErr
	}
	res := &Result{Packets: map[int]Record{}, Streams: map[int]Record{}, Conv: conv}
	streams := map[string]bool{}
	for _, row := range rows {
		tsharkRow(res, row, status, checksum)
		if stream := row[streamColumn]; stream != "" {
			streams[stream] = true
		}
	}
	res.Summary = Record{"frames": strconv.Itoa(len(rows)), "packets": strconv.Itoa(len(res.Packets)), "streams": strconv.Itoa(len(streams))}
	return res, nil
}

// tsharkRow adds one line of tshark's fields to res.
func tsharkRow(res *Result, row []string, status map[string]string, checksum bool) {
	rec := rowRecord(row)
	if rec["stream"] == "" {
		return // not TCP
	}
	innermostAddrs(rec)
	if fl, _ := strconv.ParseUint(rec["flags"], 10, 16); fl&flACK == 0 {
		delete(rec, "ack")
		delete(rec, "ack_raw")
	}
	if checksum {
		rec["checksum_status"] = status[rec["frame"]]
		if rec["checksum_status"] == "" {
			rec["checksum_status"] = "unverified" // a header cut before its checksum
		}
	}
	stream, _ := strconv.Atoi(rec["stream"])
	if irtt, ok := rec["irtt"]; ok {
		if res.Streams[stream] == nil {
			res.Streams[stream] = Record{"irtt": irtt}
		}
		delete(rec, "irtt")
	}
	frame, _ := strconv.Atoi(rec["frame"])
	delete(rec, "frame")
	res.Packets[frame] = rec
}

// innermostAddrs keeps the addresses of a tunnel's innermost IP header,
// which holds the segment: tshark lists every header's, outermost first,
// and IPv4's and IPv6's apart (ip.src, then ipv6.src), so frame.protocols
// tells which comes last.
func innermostAddrs(rec Record) {
	protos := ":" + rec["protocols"] + ":"
	delete(rec, "protocols")
	v4, v6 := strings.LastIndex(protos, ":ip:"), strings.LastIndex(protos, ":ipv6:")
	for _, f := range []string{"src", "dst"} {
		vals := strings.Split(rec[f], ",")
		var a4, a6 []string
		for _, v := range vals {
			if strings.Contains(v, ":") {
				a6 = append(a6, v)
			} else {
				a4 = append(a4, v)
			}
		}
		switch {
		case v4 > v6 && len(a4) > 0:
			rec[f] = a4[len(a4)-1]
		case len(a6) > 0:
			rec[f] = a6[len(a6)-1]
		}
	}
}

// rowRecord turns tshark's fields into a Record: names, numbers in
// decimal, times in nanoseconds, the flags in one field.
func rowRecord(row []string) Record {
	rec := Record{}
	var flags []string
	for i, v := range row {
		switch {
		case v == "":
		case i >= len(tsharkFields):
			flags = append(flags, AnalysisFlags[i-len(tsharkFields)])
		default:
			name := tsharkFields[i][1]
			switch {
			case timeFields[name]:
				v = nanos(v)
			case name == "src" || name == "dst":
				if rec[name] != "" {
					v = rec[name] + "," + v // IPv4's and IPv6's: innermostAddrs picks
				}
			case name != "info" && name != "protocols":
				v = decimal(v)
			}
			rec[name] = v
		}
	}
	if len(flags) > 0 {
		rec["analysis"] = joinFlags(flags)
	}
	return rec
}

// checksumStatus runs tshark with checksum validation and returns each
// frame's tcp.checksum.status as the contract names it, and the lines of
// the conversation table (-z conv,tcp), which the same run prints.
func checksumStatus(file string) (map[string]string, []string, error) {
	rows, stats, err := runTshark(file, []string{"-o", "tcp.check_checksum:TRUE", "-z", "conv,tcp"}, []string{"frame.number", "tcp.checksum.status"})
	if err != nil {
		return nil, nil, err
	}
	names := map[string]string{"0": "bad", "1": "good", "2": "unverified"}
	status := map[string]string{}
	for _, row := range rows {
		status[row[0]] = names[row[1]]
	}
	return status, strings.Split(strings.TrimRight(stats, "\n"), "\n"), nil
}

// DisableArgs returns the tshark options the oracle runs with: every
// protocol above TCP turned off, so that tcplab's fields and tshark's
// mean the same. Other packages' comparisons with tshark use it.
func DisableArgs() ([]string, error) { return tsharkDisable() }
