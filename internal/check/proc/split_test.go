package proc

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  error
	}{
		{"python3 server.py {port}", []string{"python3", "server.py", "{port}"}, nil},
		{"  java  -cp 'my dir' Server {port} ", []string{"java", "-cp", "my dir", "Server", "{port}"}, nil},
		{`sh -c "echo \"hi\" \$x" x`, []string{"sh", "-c", `echo "hi" $x`, "x"}, nil},
		{`a\ b c''d ""`, []string{"a b", "cd", ""}, nil},
		{"", nil, nil},
		{"'open", nil, ErrUnclosedQuote},
		{`"open`, nil, ErrUnclosedQuote},
	} {
		got, err := Split(tc.in)
		if err != tc.err || cmp.Diff(tc.want, got) != "" {
			t.Errorf("Split(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("python3 server.py {port}") // the usual command
	f.Add(`a 'b c' "d \" e" f\ g`)    // every kind of quoting
	f.Add(`"\`)                       // a backslash at the end inside quotes
	f.Add("\\")                       // a lone backslash
	f.Fuzz(func(t *testing.T, s string) {
		words, err := Split(s)
		if err != nil {
			return
		}
		// Words made only of plain characters join back to the same
		// words.
		plain := true
		for _, w := range words {
			if w == "" || strings.ContainsAny(w, " \t\n'\"\\") {
				plain = false
			}
		}
		if plain {
			again, err := Split(strings.Join(words, " "))
			if err != nil || cmp.Diff(words, again) != "" {
				t.Errorf("Split(Join(%q)) = %q, %v", words, again, err)
			}
		}
	})
}

func TestOutputHelpers(t *testing.T) {
	for _, tc := range []struct{ out, err, want string }{
		{"a\n", "", "a\n"},
		{"a", "b\n", "a\nb\n"},
		{"", "b", "b"},
	} {
		if got := JoinOutput(tc.out, tc.err); got != tc.want {
			t.Errorf("JoinOutput(%q, %q) = %q, want %q", tc.out, tc.err, got, tc.want)
		}
	}
	if got := LastLine("Traceback\n  File x\nValueError: bad  \n\n  \n"); got != "ValueError: bad" {
		t.Errorf("LastLine = %q", got)
	}
	if got := LastLine(""); got != "" {
		t.Errorf("LastLine(\"\") = %q", got)
	}
	if p, err := FreePort(); err != nil || p <= 0 {
		t.Errorf("FreePort = %d, %v", p, err)
	}
}
