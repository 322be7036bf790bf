package labproto

import (
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRequest(t *testing.T) {
	type result struct {
		Name, Number string
		Value        int64
		InRange      bool
	}
	tests := []struct {
		name    string
		in      string
		want    result
		wantErr error
		wantOff int
	}{
		{name: "lab case 1", in: "Client of Louis,42", want: result{"Client of Louis", "42", 42, true}},
		{name: "lab case 2", in: "Client of Louis,150", want: result{"Client of Louis", "150", 150, false}},
		{name: "low bound", in: "a,1", want: result{"a", "1", 1, true}},
		{name: "high bound", in: "a,100", want: result{"a", "100", 100, true}},
		{name: "zero", in: "a,0", want: result{"a", "0", 0, false}},
		{name: "negative", in: "a,-5", want: result{"a", "-5", -5, false}},
		{name: "plus sign", in: "a,+7", want: result{"a", "+7", 7, true}},
		{name: "spaces kept as sent", in: "a, 42 ", want: result{"a", " 42 ", 42, true}},
		{name: "tab and vertical tab", in: "a,\t42\v", want: result{"a", "\t42\v", 42, true}},
		{name: "no-break space", in: "a,\u00a042", want: result{"a", "\u00a042", 42, true}},
		{name: "ideographic space", in: "a,\u300042\u3000", want: result{"a", "\u300042\u3000", 42, true}},
		{name: "underscore between digits", in: "a,4_2", want: result{"a", "4_2", 42, true}},
		{name: "leading zeros", in: "a,0042", want: result{"a", "0042", 42, true}},
		{name: "arabic-indic digits", in: "a,٤٢", want: result{"a", "٤٢", 42, true}},
		{name: "fullwidth digits", in: "a,４２", want: result{"a", "４２", 42, true}},
		{name: "mathematical digits", in: "a,\U0001D7D2\U0001D7D0", want: result{"a", "\U0001D7D2\U0001D7D0", 42, true}},
		{name: "huge number clamps", in: "a,99999999999999999999999999", want: result{"a", "99999999999999999999999999", clamp, false}},
		{name: "huge negative clamps", in: "a,-99999999999999999999999999", want: result{"a", "-99999999999999999999999999", -clamp, false}},
		{name: "name with commas", in: "李旼學,Jr.,42", want: result{"李旼學,Jr.", "42", 42, true}},
		{name: "empty name", in: ",42", want: result{"", "42", 42, true}},
		{name: "empty", in: "", wantErr: ErrEmpty, wantOff: 0},
		{name: "no comma", in: "hello", wantErr: ErrNoComma, wantOff: 5},
		{name: "not a number", in: "a,abc", wantErr: ErrNotNumber, wantOff: 2},
		{name: "nothing after comma", in: "a,", wantErr: ErrNotNumber, wantOff: 2},
		{name: "only spaces after comma", in: "a,  ", wantErr: ErrNotNumber, wantOff: 4},
		{name: "space inside number", in: "a,4 2", wantErr: ErrNotNumber, wantOff: 3},
		{name: "space after sign", in: "a,- 5", wantErr: ErrNotNumber, wantOff: 3},
		{name: "double underscore", in: "a,1__0", wantErr: ErrNotNumber, wantOff: 4},
		{name: "leading underscore", in: "a,_1", wantErr: ErrNotNumber, wantOff: 2},
		{name: "trailing underscore", in: "a,1_", wantErr: ErrNotNumber, wantOff: 3},
		{name: "python rejects U+001C", in: "a,\x1c42", wantErr: ErrNotNumber, wantOff: 2},
		{name: "float", in: "a,4.2", wantErr: ErrNotNumber, wantOff: 3},
		{name: "invalid UTF-8 in name", in: "a\xffb,42", wantErr: ErrInvalidUTF8, wantOff: 1},
		{name: "truncated character", in: "a,42\xe6\x9d", wantErr: ErrInvalidUTF8, wantOff: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseRequest([]byte(tt.in))
			if tt.wantErr != nil {
				var pe *ParseError
				if !errors.Is(err, tt.wantErr) || !errors.As(err, &pe) {
					t.Fatalf("ParseRequest(%q) = %v, want %v", tt.in, err, tt.wantErr)
				}
				if pe.Offset != tt.wantOff {
					t.Errorf("ParseRequest(%q) error offset = %d, want %d (%v)", tt.in, pe.Offset, tt.wantOff, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRequest(%q) = %v, want no error", tt.in, err)
			}
			got := result{string(m.Name), string(m.Number), m.Value, m.InRange()}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseRequest(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestParseNumberMatchesPython checks ParseNumber against python3's int()
// on the edge cases the lab's users may type. It skips without python3.
func TestParseNumberMatchesPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed (apt-get install python3): cannot compare with int()")
	}
	inputs := []string{
		"42", " 42", "42 ", "\t42\n", "\r\n42\f", "+42", "-42", "0042", "4_2", "4__2", "_42", "42_",
		"٤٢", "４２", "\u00a042", "\u300042", "\u200b42", "\u180e42", "\x1c42", "\x8542", "- 4", "4 2",
		"", " ", "+", "-", "4.2", "1e2", "0x10", "٤_٢", "99999999999999999999", "\u2028 7 \u2029",
	}
	var script strings.Builder
	script.WriteString("import sys\nfor s in sys.argv[1:]:\n    try: print(int(s))\n    except Exception: print('error')\n")
	out, err := exec.Command(py, append([]string{"-c", script.String()}, inputs...)...).Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(inputs) {
		t.Fatalf("python3 printed %d lines for %d inputs", len(lines), len(inputs))
	}
	for i, in := range inputs {
		v, _, ok := ParseNumber([]byte(in))
		got := "error"
		if ok {
			got = strconv.FormatInt(v, 10)
		}
		want := lines[i]
		if n, err := strconv.ParseInt(want, 10, 64); err == nil && n > clamp {
			want = strconv.FormatInt(clamp, 10)
		} else if err != nil && want != "error" {
			want = strconv.FormatInt(clamp, 10) // beyond int64: clamped
		}
		if got != want {
			t.Errorf("ParseNumber(%q) = %s, python3 int() = %s", in, got, lines[i])
		}
	}
}

func TestAppendAndParseReply(t *testing.T) {
	b := AppendReply(nil, DefaultServerName, 17)
	if string(b) != "Server of Nuk,17" {
		t.Fatalf("AppendReply = %q, want %q", b, "Server of Nuk,17")
	}
	m, err := ParseReply(b)
	if err != nil || string(m.Name) != DefaultServerName || string(m.Number) != "17" || m.Value != 17 {
		t.Fatalf("ParseReply(%q) = %+v, %v", b, m, err)
	}
	if got := string(AppendRequest(nil, DefaultClientName, " 42")); got != "Client of Louis, 42" {
		t.Fatalf("AppendRequest = %q", got)
	}
	if _, err := ParseReply([]byte("Server of Nuk")); !errors.Is(err, ErrNoComma) || !strings.Contains(err.Error(), "reply") {
		t.Errorf("ParseReply without comma = %v, want a reply error wrapping ErrNoComma", err)
	}
}

func TestCheckName(t *testing.T) {
	tests := []struct {
		name   string
		server bool
		ok     bool
	}{
		{DefaultServerName, true, true},
		{"李旼學", true, true},
		{"a,b", false, true},
		{"a,b", true, false},
		{"a\nb", false, false},
		{"a\rb", true, false},
		{"a\xff", false, false},
	}
	for _, tt := range tests {
		if err := CheckName(tt.name, tt.server); (err == nil) != tt.ok {
			t.Errorf("CheckName(%q, %v) = %v, want ok=%v", tt.name, tt.server, err, tt.ok)
		}
	}
}

func TestParseRequestAllocs(t *testing.T) {
	in := []byte("Client of Louis,42")
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := ParseRequest(in); err != nil {
			t.Fatal(err)
		}
		if _, d := Frame(in, true, false); d != Done {
			t.Fatal(d)
		}
	})
	if allocs != 0 {
		t.Errorf("ParseRequest and Frame allocate %v times per call, want 0", allocs)
	}
}

func BenchmarkParseRequest(b *testing.B) {
	in := []byte("Client of Louis,42")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRequest(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFrame(b *testing.B) {
	in := []byte("Client of Louis,42")
	b.ReportAllocs()
	for b.Loop() {
		if _, d := Frame(in, true, false); d != Done {
			b.Fatal(d)
		}
	}
}
