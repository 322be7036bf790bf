package capfilter

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/bpf"

	"github.com/tcplab/tcplab/internal/decode"
	"github.com/tcplab/tcplab/internal/pcapio/pcaptest"
)

func TestParseCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"tcp", "tcp"},
		{"ip6", "ip6"},
		{"port 80", "port 80"},
		{"port 0x50", "port 80"},
		{"port 0120", "port 80"},
		{"tcp dst port 2000", "tcp dst port 2000"},
		{"src or dst port 80", "src or dst port 80"},
		{"dst and src host 1.2.3.4", "src and dst host 1.2.3.4"},
		{"portrange 20-10", "portrange 10-20"},
		{"portrange 5", "portrange 5-5"},
		{"host ::1", "host ::1"},
		{"host ::ffff:1.2.3.4", "host ::ffff:1.2.3.4"},
		{"net 10.0.0.0/8", "net 10.0.0.0/8"},
		{"net 1.2.3.4", "net 1.2.3.4/32"},
		{"dst 10.0.0.1", "dst host 10.0.0.1"},
		{"net 10.0.0.0/8 and 10.0.0.1", "(net 10.0.0.0/8 and net 10.0.0.1/32)"},
		{"ip 1.2.3.4", "ip host 1.2.3.4"},
		{"arp host 1.2.3.4", "arp host 1.2.3.4"},
		// and/or have equal precedence and associate left; not binds tighter.
		{"tcp or udp and port 53", "((tcp or udp) and port 53)"},
		{"tcp || udp && port 53", "((tcp or udp) and port 53)"},
		{"not tcp and port 53", "(not tcp and port 53)"},
		{"! tcp or ! udp", "(not tcp or not udp)"},
		{"not (tcp or udp)", "not (tcp or udp)"},
		{"tcp and (udp or ip6)", "(tcp and (udp or ip6))"},
		{"!!tcp", "not not tcp"},
		// A bare value repeats the qualifiers before it.
		{"port 80 or 443", "(port 80 or port 443)"},
		{"tcp src port 1 or 2", "(tcp src port 1 or tcp src port 2)"},
		{"port 80 and not 443", "(port 80 and not port 443)"},
		{"port 80 and not (443 or 8080)", "(port 80 and not (port 443 or port 8080))"},
		{"port 1 && 2 || 3", "((port 1 and port 2) or port 3)"},
		{"host 1.2.3.4 or 1.2.3.5 and tcp", "((host 1.2.3.4 or host 1.2.3.5) and tcp)"},
		{"not port 1 and 2", "(not port 1 and port 2)"},
		{"src net 10.0.0.0/8 and dst 10.0.0.1", "(src net 10.0.0.0/8 and dst host 10.0.0.1)"},
		{"(tcp)and(port 2000)", "(tcp and port 2000)"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			f, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q) = %v, want %q", tt.in, err, tt.want)
			}
			if got := f.String(); got != tt.want {
				t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
			}
			// The canonical form parses to itself.
			g, err := Parse(f.String())
			if err != nil || g.String() != f.String() {
				t.Errorf("Parse(%q) = %v, %v; want it unchanged", f.String(), g, err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in     string
		off    int
		token  string
		substr string
	}{
		{"tcp and", 7, "", "expected a primitive"},
		{"host", 4, "", "expected an IP address"},
		{"port", 4, "", "expected a port number"},
		{"port http", 5, "http", "service names are not resolved"},
		{"port 70000", 5, "70000", "illegal port number 70000 > 65535"},
		{"port 1-2", 5, "1-2", "portrange"},
		{"portrange 1-x", 10, "1-x", "not a port range"},
		{"host localhost", 5, "localhost", "host names are not resolved"},
		{"host 1.2.3", 5, "1.2.3", "not an IP address"},
		{"host 10.0.0.0/8", 5, "10.0.0.0/8", "use \"net 10.0.0.0/8\""},
		{"host fe80::1%eth0", 12, "%", "character not allowed"},
		{"10.0.0.0/8 and 10.0.0.1", 0, "10.0.0.0/8", "a value needs a qualifier"},
		{"net 10.1.2.3/8", 4, "10.1.2.3/8", "non-network bits set"},
		{"net 10.1", 4, "10.1", "CIDR notation such as 10.1.0.0/16"},
		{"net 10", 4, "10", "CIDR notation"},
		{"net 10.0.0.0/33", 4, "10.0.0.0/33", "CIDR"},
		{"tcp host 1.2.3.4", 0, "tcp", "\"tcp\" modifier applied to host"},
		{"ip6 host 1.2.3.4", 0, "ip6", "\"ip6\" modifier applied to an IPv4 address"},
		{"ip host ::1", 0, "ip", "\"ip\" modifier applied to an IPv6 address"},
		{"ip port 80", 0, "ip", "illegal qualifier of \"port\""},
		{"80", 0, "80", "a value needs a qualifier"},
		{"tcp or 80", 7, "80", "no qualifier"},
		{"(port 80) or 443", 13, "443", "no qualifier"},
		{"tcp 80", 4, "80", "write \"port 80\""},
		{"tcp[13] & 2 != 0", 3, "[", "packet data accessors"},
		{"ether host 02:00:00:00:00:01", 0, "ether", "not supported by tcplab"},
		{"less 100", 0, "less", "not supported"},
		{"tcp port 80 =", 12, "=", "character not allowed"},
		{"(tcp", 4, "", "expected \")\" to close the \"(\" at offset 0"},
		{"tcp)", 3, ")", "unbalanced parenthesis"},
		{"tcp udp", 4, "udp", "expected and, or"},
		{"port 80 and (443 or tcp)", 20, "tcp", "only values may follow"},
		{"src", 3, "", "expected a value"},
		{"tcp and and udp", 8, "and", "expected a primitive"},
		{"not", 3, "", "expected a primitive"},
		{"tcp and ()", 9, ")", "expected a primitive"},
		{"port 80 é", 8, "é", "character not allowed"},
		{strings.Repeat("(", 100) + "tcp" + strings.Repeat(")", 100), 64, "(", "nested more than 64 deep"},
		{strings.Repeat("x", maxFilterLen+1), maxFilterLen, "", "longer than"},
	}
	for _, tt := range tests {
		name := tt.in
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			_, err := Parse(tt.in)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) = %v, want a *SyntaxError", tt.in, err)
			}
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("Parse(%q) error does not wrap ErrSyntax", tt.in)
			}
			if se.Offset != tt.off || se.Token != tt.token || !strings.Contains(se.Msg, tt.substr) {
				t.Errorf("Parse(%q) = %v\nwant offset %d, token %q, message containing %q", tt.in, err, tt.off, tt.token, tt.substr)
			}
		})
	}
}

// accepted runs prog on each frame in x/net/bpf's VM and returns the
// names of the frames it accepts.
func accepted(t *testing.T, prog []bpf.Instruction, frames []frame, snaplen uint32) []string {
	t.Helper()
	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatalf("bpf.NewVM: %v", err)
	}
	var names []string
	for _, f := range frames {
		n, err := vm.Run(f.data)
		if err != nil {
			t.Fatalf("VM.Run(%s): %v", f.name, err)
		}
		switch uint32(n) {
		case snaplen:
			names = append(names, f.name)
		case 0:
		default:
			t.Fatalf("VM.Run(%s) = %d, want 0 or %d", f.name, n, snaplen)
		}
	}
	return names
}

func framesNamed(t *testing.T, names ...string) []frame {
	t.Helper()
	all := testFrames()
	var out []frame
	for _, n := range names {
		i := slices.IndexFunc(all, func(f frame) bool { return f.name == n })
		if i < 0 {
			t.Fatalf("no test frame named %q", n)
		}
		out = append(out, all[i])
	}
	return out
}

// TestCompileVM checks hand-picked frames that must pass and must not pass,
// with the reason in the frame names.
func TestCompileVM(t *testing.T) {
	tests := []struct {
		filter   string
		pass     []string
		noPass   []string
		linkType decode.LinkType
	}{
		{
			filter: "tcp port 2000",
			pass:   []string{"v4 tcp lo 2000", "v4 tcp lo 2000 reply", "v6 tcp ::1 2000"},
			noPass: []string{"v4 tcp 80", "v4 udp 53", "arp request", "runt 10 bytes", "lldp"},
		},
		{
			filter: "port 80",
			pass:   []string{"v4 tcp 80", "v4 sctp 80", "v4 tcp options ihl 6", "v4 first fragment MF", "v6 tcp 80"},
			// The decoy is where a fixed 20-byte header's port would be;
			// the later fragment's payload is not a transport header; the
			// extension headers hide the ports from IPv6 port tests.
			noPass: []string{"v4 options, decoy port at 20", "v4 later fragment looks like port 80", "v6 hop-by-hop then tcp 80", "v6 fragment then tcp 80", "v4 icmp", "vlan tagged v4 tcp 80"},
		},
		{
			// A load past the end of the frame rejects it, even under "not".
			filter: "dst port 80 or not dst port 80",
			pass:   []string{"v4 tcp 80", "v4 udp 53"},
			noPass: []string{"v4 tcp cut after sport 80"},
		},
		{
			filter: "tcp",
			pass:   []string{"v4 tcp 80", "v4 later fragment looks like port 80", "v6 fragment then tcp 80", "v6 tcp 80"},
			noPass: []string{"v6 hop-by-hop then tcp 80", "v6 dstopt then tcp", "v4 udp 53", "v6 fragment then udp"},
		},
		{
			filter: "host 1.2.3.4",
			pass:   []string{"v4 tcp 80", "v4 tcp 443", "arp request", "arp reply"},
			noPass: []string{"v6 mapped v4", "v4 tcp lo 2000", "rarp"},
		},
		{
			filter: "ip host 1.2.3.4",
			pass:   []string{"v4 tcp 80"},
			noPass: []string{"arp request"},
		},
		{
			filter: "src host 1.2.3.4",
			pass:   []string{"v4 tcp 443", "arp reply"},
			noPass: []string{"v4 tcp 80", "arp request"},
		},
		{
			filter: "net 192.168.0.0/16 or host 127.0.0.1",
			pass:   []string{"v4 udp 53", "rarp", "v4 tcp lo 2000"},
			noPass: []string{"v4 tcp 80", "v6 tcp ::1 2000"},
		},
		{
			filter: "net fe80::/10",
			pass:   []string{"v6 udp 53 link-local", "v6 icmp6"},
			noPass: []string{"v6 tcp 80", "v6 tcp ::1 2000"},
		},
		{
			filter: "host ::1 and not dst port 2000",
			noPass: []string{"v6 tcp ::1 2000", "v4 tcp lo 2000"},
		},
		{
			filter: "portrange 440-450 or icmp6",
			pass:   []string{"v4 tcp 443", "v6 sctp 443", "v6 icmp6", "v6 fragment then icmp6"},
			noPass: []string{"v4 tcp 80", "v4 icmp"},
		},
		{
			filter:   "tcp port 2000",
			linkType: decode.LinkLinuxSLL,
			noPass:   []string{"v4 tcp lo 2000"}, // an Ethernet frame is not an SLL frame
		},
	}
	for _, tt := range tests {
		lt := tt.linkType
		if lt == 0 {
			lt = decode.LinkEthernet
		}
		t.Run(fmt.Sprintf("%s/%d", tt.filter, lt), func(t *testing.T) {
			prog, err := Compile(tt.filter, lt, 1500)
			if err != nil {
				t.Fatalf("Compile(%q) = %v", tt.filter, err)
			}
			if got := accepted(t, prog, framesNamed(t, tt.pass...), 1500); !slices.Equal(got, tt.pass) {
				t.Errorf("Compile(%q) accepts %q of the frames that must pass, want all: %q", tt.filter, got, tt.pass)
			}
			if got := accepted(t, prog, framesNamed(t, tt.noPass...), 1500); len(got) != 0 {
				t.Errorf("Compile(%q) accepts %q, which must not pass", tt.filter, got)
			}
		})
	}
}

func TestCompileAcceptAll(t *testing.T) {
	prog, err := Compile("", decode.LinkEthernet, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]bpf.Instruction{bpf.RetConstant{Val: 262144}}, prog); diff != "" {
		t.Errorf("Compile(\"\") (-want +got):\n%s", diff)
	}
}

func TestCompileLinkTypes(t *testing.T) {
	for _, lt := range []decode.LinkType{decode.LinkEthernet, decode.LinkLinuxSLL, decode.LinkLinuxSLL2} {
		if _, err := Compile("tcp", lt, 0); err != nil {
			t.Errorf("Compile(tcp, %d) = %v", lt, err)
		}
	}
	for _, lt := range []decode.LinkType{decode.LinkNull, decode.LinkRaw, 9999} {
		if _, err := Compile("tcp", lt, 0); !errors.Is(err, ErrLinkType) {
			t.Errorf("Compile(tcp, %d) = %v, want ErrLinkType", lt, err)
		}
	}
}

// bigFilter is a filter long enough that conditional jumps (at most 255
// instructions) need the unconditional jumps the generator inserts.
func bigFilter(n int) string {
	var b strings.Builder
	b.WriteString("port 80")
	for i := range n {
		fmt.Fprintf(&b, " or %d", 10000+i)
	}
	return b.String() + " or udp port 53"
}

func TestCompileFarJumps(t *testing.T) {
	prog, err := Compile(bigFilter(60), decode.LinkEthernet, 1500)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(prog, func(i bpf.Instruction) bool { _, ok := i.(bpf.Jump); return ok }) {
		t.Fatalf("Compile(bigFilter) has %d instructions and no far jump; make the filter bigger", len(prog))
	}
	pass := []string{"v4 tcp 80", "v4 udp 53", "v6 tcp 80", "v6 udp 53 link-local"}
	if got := accepted(t, prog, framesNamed(t, pass...), 1500); !slices.Equal(got, pass) {
		t.Errorf("accepts %q, want %q", got, pass)
	}
	if got := accepted(t, prog, framesNamed(t, "v4 tcp 443", "v4 icmp", "arp request"), 1500); len(got) != 0 {
		t.Errorf("accepts %q, want none", got)
	}
}

func TestCompileTooLong(t *testing.T) {
	_, err := Compile(bigFilter(400), decode.LinkEthernet, 0)
	if !errors.Is(err, ErrTooLong) {
		t.Errorf("Compile(bigFilter(400)) = %v, want ErrTooLong", err)
	}
}

// parityFilters are compared with tcpdump's own compiler.
var parityFilters = []string{
	"tcp", "udp", "sctp", "icmp", "icmp6", "ip", "ip6", "arp",
	"port 80", "port 2000", "port 53", "port 0", "port 65535",
	"tcp port 80", "udp port 53", "sctp port 80", "tcp port 2000",
	"src port 80", "dst port 80", "src or dst port 443", "src and dst port 80",
	"tcp src port 2000 or tcp dst port 2000",
	"portrange 1-1024", "portrange 8000-8100", "tcp portrange 40000-65535", "src portrange 0-100",
	"host 1.2.3.4", "host 127.0.0.1", "ip host 1.2.3.4", "arp host 1.2.3.4",
	"src host 1.2.3.4", "dst host 10.0.0.1", "src and dst host 127.0.0.1",
	"host ::1", "host fe80::1", "src host 2001:db8::1", "dst host ::ffff:1.2.3.4", "ip6 host fd00::1",
	"net 10.0.0.0/8", "net 192.168.1.0/24", "src net 10.0.0.0/30", "net 0.0.0.0/0", "ip net 172.16.0.0/12",
	"net fe80::/10", "net 2001:db8::/32", "net 2001:db8:1::/48", "dst net ::/0", "net ::1/128", "net 1.2.3.4",
	"tcp and port 80", "tcp or udp and port 53", "not tcp", "not port 80", "! host 1.2.3.4",
	"tcp and not port 80", "not (tcp or udp)", "ip and not tcp and not udp",
	"port 80 or 443", "port 80 and not 443", "port 80 and not (443 or 8080)", "port 1 && 2 || 3",
	"host 1.2.3.4 or 10.0.0.1 and tcp", "host 127.0.0.1 and tcp port 2000",
	"(host ::1 or host 127.0.0.1) and tcp port 2000",
	"src net 10.0.0.0/8 and dst 1.2.3.4", "icmp or icmp6 or arp",
	"ip6 and udp src port 53", "not ip and not ip6",
	"tcp port 80 or udp port 53 or sctp port 443",
	"port 80 || port 443 && !(host 1.2.3.4)",
	bigFilter(60),
}

// writePcap writes frames as a pcap file (microsecond timestamps, frame i
// at second 1000000+i so tcpdump's -tt output names it).
func writePcap(t *testing.T, path string, lt decode.LinkType, frames []frame) {
	t.Helper()
	var b bytes.Buffer
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 262144)
	binary.LittleEndian.PutUint32(hdr[20:], uint32(lt))
	b.Write(hdr)
	for i, f := range frames {
		rec := make([]byte, 16)
		wire := f.wire
		if wire == 0 {
			wire = len(f.data)
		}
		binary.LittleEndian.PutUint32(rec[0:], uint32(1000000+i))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(f.data)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(wire))
		b.Write(rec)
		b.Write(f.data)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tcpdumpAccepts returns the indexes of the frames in file that tcpdump
// accepts with filter.
func tcpdumpAccepts(t *testing.T, file, filter string) ([]int, error) {
	t.Helper()
	cmd := exec.Command("tcpdump", "-r", file, "-n", "-tt", filter)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("tcpdump %q: %v: %s", filter, err, errb.String())
	}
	var idx []int
	for line := range strings.Lines(out.String()) {
		if line[0] == ' ' || line[0] == '\t' {
			continue // a continuation line (hex dump of a packet tcpdump cannot print)
		}
		sec, _, ok := strings.Cut(line, ".")
		n, err := strconv.Atoi(sec)
		if !ok || err != nil || n < 1000000 {
			return nil, fmt.Errorf("tcpdump %q: unexpected line %q", filter, line)
		}
		idx = append(idx, n-1000000)
	}
	return idx, nil
}

// TestMatchesTcpdump compiles each filter for each link type and checks
// that the frames x/net/bpf's VM accepts are exactly those tcpdump accepts
// from the same file.
func TestMatchesTcpdump(t *testing.T) {
	pcaptest.NeedTools(t, "tcpdump")
	eth := testFrames()
	dir := t.TempDir()
	for _, lt := range []decode.LinkType{decode.LinkEthernet, decode.LinkLinuxSLL, decode.LinkLinuxSLL2} {
		frames := eth
		if lt != decode.LinkEthernet {
			frames = make([]frame, len(eth))
			for i, f := range eth {
				data := relink(f.data, lt == decode.LinkLinuxSLL2)
				wire := 0
				if f.wire != 0 {
					wire = f.wire + len(data) - len(f.data)
				}
				frames[i] = frame{name: f.name, data: data, wire: wire}
			}
		}
		file := filepath.Join(dir, fmt.Sprintf("frames-%d.pcap", lt))
		writePcap(t, file, lt, frames)
		for _, filter := range parityFilters {
			name := filter
			if len(name) > 60 {
				name = name[:60]
			}
			t.Run(fmt.Sprintf("%d/%s", lt, name), func(t *testing.T) {
				want, err := tcpdumpAccepts(t, file, filter)
				if err != nil {
					t.Fatal(err)
				}
				prog, err := Compile(filter, lt, 262144)
				if err != nil {
					t.Fatalf("Compile(%q) = %v", filter, err)
				}
				vm, err := bpf.NewVM(prog)
				if err != nil {
					t.Fatal(err)
				}
				var got []int
				for i, f := range frames {
					if n, _ := vm.Run(f.data); n != 0 {
						got = append(got, i)
					}
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("frames accepted by %q (-tcpdump +tcplab):\n%s", filter, diff)
					for _, i := range symmetricDiff(want, got) {
						t.Logf("frame %d: %s", i, frames[i].name)
					}
				}
				if len(want) == 0 && filter != "not ip and not ip6" {
					t.Logf("no frame matches %q: the test frames could be richer", filter)
				}
			})
		}
	}
}

func symmetricDiff(a, b []int) []int {
	var out []int
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			out = append(out, x)
		}
	}
	return out
}

// TestErrorsMatchTcpdump checks that filters tcplab refuses as wrong are
// refused by tcpdump too (tcplab also refuses valid tcpdump syntax outside
// its subset, which this test does not list).
func TestErrorsMatchTcpdump(t *testing.T) {
	pcaptest.NeedTools(t, "tcpdump")
	for _, filter := range []string{
		"tcp and", "port 70000", "net 10.1.2.3/8", "tcp host 1.2.3.4", "ip6 host 1.2.3.4",
		"ip port 80", "80", "tcp or 80", "(port 80) or 443", "(tcp", "tcp)", "tcp udp",
		"host 10.0.0.0/33", "tcp and and udp", "not", "10.0.0.0/8 and 10.0.0.1",
		"TCP", "tcp AND port 80", "port 80 and not tcp and 443",
	} {
		t.Run(filter, func(t *testing.T) {
			if _, err := Parse(filter); err == nil {
				t.Errorf("Parse(%q) = nil error, want one", filter)
			}
			out, err := exec.Command("tcpdump", "-d", "-y", "EN10MB", filter).CombinedOutput()
			if err == nil {
				t.Errorf("tcpdump -d %q accepted it:\n%s", filter, out)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add("tcp port 2000")                            // the lab's capture filter
	f.Add("port 80 or 443 and not (8080 or 8081)")    // inherited qualifiers, nested
	f.Add("src or dst net fe80::/10 || ! arp")        // IPv6 prefix, symbolic operators
	f.Add("dst and src host ::ffff:1.2.3.4")          // mapped address, direction pair
	f.Add("portrange 65535-0 && sctp dst port 0x50")  // reversed range, hex port
	f.Add("((((tcp))))")                              // parentheses only
	f.Add("tcp[13] & 2 != 0")                         // unsupported accessor syntax
	f.Add("host \xff\xfe")                            // invalid UTF-8
	f.Add("not not not")                              // operators without operands
	f.Add("net 10.0.0.0/8 and 10.0.0.1 or ip6 and 2") // bare values after a protocol
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(s) {
				t.Fatalf("Parse(%q) = %v, want a *SyntaxError within the input", s, err)
			}
			return
		}
		canon := flt.String()
		again, err := Parse(canon)
		if err != nil || again.String() != canon {
			t.Fatalf("Parse(%q).String() = %q, which parses to %v, %v", s, canon, again, err)
		}
		for _, lt := range []decode.LinkType{decode.LinkEthernet, decode.LinkLinuxSLL2} {
			prog, err := flt.Compile(lt, 1000)
			if errors.Is(err, ErrTooLong) {
				continue
			}
			if err != nil {
				t.Fatalf("Compile(%q) = %v", s, err)
			}
			vm, err := bpf.NewVM(prog)
			if err != nil {
				t.Fatalf("Compile(%q) made a program the VM refuses: %v", s, err)
			}
			for _, fr := range fuzzFrames {
				if n, err := vm.Run(fr); err != nil || (n != 0 && n != 1000) {
					t.Fatalf("Run = %d, %v", n, err)
				}
			}
		}
	})
}

var fuzzFrames = func() [][]byte {
	var out [][]byte
	for _, f := range testFrames()[:34] {
		out = append(out, f.data)
	}
	return out
}()

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile("(host ::1 or host 127.0.0.1) and tcp port 2000", decode.LinkEthernet, 0); err != nil {
			b.Fatal(err)
		}
	}
}
