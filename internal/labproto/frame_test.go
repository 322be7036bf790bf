package labproto

import (
	"strings"
	"testing"
)

func TestFrame(t *testing.T) {
	long := strings.Repeat("x", MaxRequest-3) + ",42" // exactly MaxRequest bytes
	tests := []struct {
		name    string
		buf     string
		oneRead bool
		eof     bool
		want    string
		wantD   Decision
	}{
		{name: "whole in one read", buf: "Client of Louis,42", oneRead: true, want: "Client of Louis,42", wantD: Done},
		{name: "out of range in one read", buf: "Client of Louis,150", oneRead: true, want: "Client of Louis,150", wantD: Done},
		{name: "complete after pieces settles", buf: "Client of Louis,4", want: "Client of Louis,4", wantD: Settle},
		{name: "first byte only", buf: "C", oneRead: true, want: "C", wantD: More},
		{name: "split at the comma, name only", buf: "Client of Louis", oneRead: true, want: "Client of Louis", wantD: More},
		{name: "split after the comma", buf: "Client of Louis,", oneRead: true, want: "Client of Louis,", wantD: More},
		{name: "newline ends it", buf: "a,42\nrest", want: "a,42", wantD: Done},
		{name: "crlf ends it", buf: "a,42\r\n", want: "a,42", wantD: Done},
		{name: "newline before comma", buf: "abc\n,42", want: "abc", wantD: Done},
		{name: "half-close ends it", buf: "a,4", eof: true, want: "a,4", wantD: Done},
		{name: "half-close without comma", buf: "hello", eof: true, want: "hello", wantD: Done},
		{name: "empty connection", buf: "", eof: true, want: "", wantD: Done},
		{name: "nothing yet", buf: "", want: "", wantD: More},
		{name: "cut multi-byte character waits", buf: "\xe6\x9d", oneRead: true, want: "\xe6\x9d", wantD: More},
		{name: "invalid UTF-8 ends at once", buf: "\xff\xfe", oneRead: true, want: "\xff\xfe", wantD: Done},
		{name: "exactly MaxRequest bytes waits for a 1025th", buf: long, oneRead: true, want: long, wantD: Settle},
		{name: "MaxRequest bytes then newline", buf: long + "\n", want: long, wantD: Done},
		{name: "MaxRequest bytes then crlf", buf: long + "\r\n", want: long, wantD: Done},
		{name: "more than MaxRequest", buf: long + "x", wantD: TooLong},
		{name: "more than MaxRequest then newline", buf: long + "x\n", wantD: TooLong},
		{name: "newline far beyond limit", buf: strings.Repeat("y", 3000) + "\n", wantD: TooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, d := Frame([]byte(tt.buf), tt.oneRead, tt.eof)
			if d != tt.wantD || string(got) != tt.want {
				t.Errorf("Frame(%.40q, %v, %v) = %.40q, %v, want %.40q, %v", tt.buf, tt.oneRead, tt.eof, got, d, tt.want, tt.wantD)
			}
		})
	}
}

// TestFrameOneByteAtATime feeds a request one byte per read, as a
// fragmenting sender would, and checks that Frame never ends it early.
func TestFrameOneByteAtATime(t *testing.T) {
	req := "李旼學,Jr.,42"
	var last Decision
	for i := 1; i <= len(req); i++ {
		got, d := Frame([]byte(req[:i]), i == 1, false)
		if d == Done || d == TooLong {
			t.Fatalf("Frame(%q) = %q, %v before the request was complete", req[:i], got, d)
		}
		last = d
	}
	if last != Settle {
		t.Errorf("Frame(%q) after the last byte = %v, want %v", req, last, Settle)
	}
}
