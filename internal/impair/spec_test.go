package impair

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	both := func(p Params) Spec { return Spec{C2S: p, S2C: p} }
	tests := []struct {
		name string
		in   string
		want Spec
	}{
		{"empty", "", Spec{}},
		{"blank", "  ", Spec{}},
		{"issue example", "loss=5%,delay=20ms,reorder=2%", both(Params{Loss: 5, Delay: 20 * time.Millisecond, Reorder: 2})},
		{"all terms", "loss=5%,delay=20ms,jitter=5ms,reorder=2%,dup=1%,rate=10mbit,queue=100,ecn=1%,limit=500",
			both(Params{Loss: 5, Delay: 20 * time.Millisecond, Jitter: 5 * time.Millisecond, Reorder: 2, Dup: 1, Rate: 10_000_000, Queue: 100, ECN: 1, Limit: 500})},
		{"spaces and case", " Loss = 0.5% , DELAY=1.5s ", both(Params{Loss: 0.5, Delay: 1500 * time.Millisecond})},
		{"per direction", "delay=20ms,s2c:delay=50ms,c2s:loss=10%", Spec{
			C2S: Params{Delay: 20 * time.Millisecond, Loss: 10},
			S2C: Params{Delay: 50 * time.Millisecond},
		}},
		{"later term wins", "loss=1%,loss=2%", both(Params{Loss: 2})},
		{"ge defaults", "ge=1%/30%", both(Params{GE: &GE{P: 1, R: 30, LossBad: 100}})},
		{"ge full", "ge=1%/30%/80%/0.1%", both(Params{GE: &GE{P: 1, R: 30, LossBad: 80, LossGood: 0.1}})},
		{"ge replaces loss", "loss=5%,ge=1%/30%", both(Params{GE: &GE{P: 1, R: 30, LossBad: 100}})},
		{"loss replaces ge", "ge=1%/30%,c2s:loss=5%", Spec{C2S: Params{Loss: 5}, S2C: Params{GE: &GE{P: 1, R: 30, LossBad: 100}}}},
		{"reorder gap", "reorder=25%/3ms", both(Params{Reorder: 25, ReorderGap: 3 * time.Millisecond})},
		{"rate units", "c2s:rate=1.5mbit,s2c:rate=64kbit", Spec{C2S: Params{Rate: 1_500_000}, S2C: Params{Rate: 64_000}}},
		{"rate gbit", "rate=1gbit", both(Params{Rate: 1_000_000_000})},
		{"seed", "seed=42,loss=1%", Spec{C2S: Params{Loss: 1}, S2C: Params{Loss: 1}, Seed: 42}},
		{"extremes", "loss=0%,dup=100%", both(Params{Dup: 100})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q) = %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in       string
		term     string
		offset   int
		contains string
	}{
		{"loss=150%", "loss=150%", 0, "0% to 100%"},
		{"delay=20ms,loss=5", "loss=5", 11, "percentage such as 5%"},
		{"delay=20", "delay=20", 0, "duration such as 20ms"},
		{"delay=-1ms", "delay=-1ms", 0, "from 0 to 10s"},
		{"delay=11s", "delay=11s", 0, "from 0 to 10s"},
		{"loss=5%,,delay=1ms", "", 8, "empty term"},
		{"loss=5%,", "", 8, "empty term"},
		{"lossy=5%", "lossy=5%", 0, `unknown name "lossy"`},
		{"loss", "loss", 0, "missing '='"},
		{"x2y:loss=5%", "x2y:loss=5%", 0, `unknown direction "x2y"`},
		{"c2s:seed=1", "c2s:seed=1", 0, "both directions"},
		{"seed=-1", "seed=-1", 0, "non-negative integer"},
		{"rate=10mbps", "rate=10mbps", 0, "bit, kbit, mbit or gbit"},
		{"rate=0bit", "rate=0bit", 0, "from 1bit"},
		{"rate=2000gbit", "rate=2000gbit", 0, "from 1bit"},
		{"rate=NaNbit", "rate=NaNbit", 0, "a number and a unit"},
		{"queue=0", "queue=0", 0, "from 1 to"},
		{"limit=x", "limit=x", 0, "whole number"},
		{"ge=1%", "ge=1%", 0, "want P/R"},
		{"ge=1%/2%/3%/4%/5%", "ge=1%/2%/3%/4%/5%", 0, "want P/R"},
		{"ge=1%/x", "ge=1%/x", 0, "ge part 2"},
		{"reorder=5%/0s", "reorder=5%/0s", 0, "above zero"},
		{"reorder=5%/x", "reorder=5%/x", 0, "reorder gap"},
		{"loss=NaN%", "loss=NaN%", 0, "from 0% to 100%"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		var se *SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v, want a *SyntaxError", tt.in, err)
			continue
		}
		if se.Term != tt.term || se.Offset != tt.offset {
			t.Errorf("Parse(%q): term %q at %d, want %q at %d", tt.in, se.Term, se.Offset, tt.term, tt.offset)
		}
		if !strings.Contains(err.Error(), tt.contains) {
			t.Errorf("Parse(%q) = %q, want it to contain %q", tt.in, err, tt.contains)
		}
	}
}

func TestSpecString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"delay=20ms,loss=5%", "loss=5%,delay=20ms"},
		{"delay=20ms,s2c:delay=50ms,c2s:loss=10%", "c2s:loss=10%,c2s:delay=20ms,s2c:delay=50ms"},
		{"ge=1%/30%,rate=1.5mbit,seed=7", "ge=1%/30%/100%/0%,rate=1500kbit,seed=7"},
		{"reorder=2%/5ms,queue=10,limit=20,ecn=1%,dup=3%,jitter=1ms", "jitter=1ms,reorder=2%/5ms,dup=3%,queue=10,limit=20,ecn=1%"},
	}
	for _, tt := range tests {
		s, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q) = %v", tt.in, err)
		}
		if got := s.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	bad := []Params{
		{Loss: 5, GE: &GE{P: 1, R: 1}},
		{Loss: -1},
		{GE: &GE{P: 101}},
		{Delay: -time.Second},
		{Jitter: MaxDelay + 1},
		{Rate: MaxRate + 1},
		{Queue: -1},
		{Limit: MaxQueue + 1},
	}
	for _, p := range bad {
		if err := p.Validate(); err == nil {
			t.Errorf("%+v.Validate() = nil, want an error", p)
		}
		if _, err := NewLink(p, 1); err == nil {
			t.Errorf("NewLink(%+v) = nil error, want one", p)
		}
	}
}

func TestGEMeanLoss(t *testing.T) {
	tests := []struct {
		g    GE
		want float64
	}{
		{GE{P: 1, R: 30, LossBad: 100}, 0.01 / 0.31},
		{GE{P: 0, R: 0, LossGood: 5}, 0.05},
		{GE{P: 50, R: 50, LossBad: 100, LossGood: 0}, 0.5},
	}
	for _, tt := range tests {
		if got := tt.g.MeanLoss(); got < tt.want-1e-12 || got > tt.want+1e-12 {
			t.Errorf("%+v.MeanLoss() = %v, want %v", tt.g, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("")                                                                             // empty spec: no impairment
	f.Add("loss=5%,delay=20ms,jitter=5ms,reorder=2%,dup=1%,rate=10mbit,queue=100,ecn=1%") // every common term
	f.Add("delay=20ms,s2c:delay=50ms,c2s:loss=10%")                                       // per-direction overrides
	f.Add("ge=1%/30%/80%/0.1%")                                                           // burst loss with all four parts
	f.Add("loss=5%,ge=1%/30%")                                                            // one loss model replacing the other
	f.Add("reorder=2%/3ms,seed=18446744073709551615")                                     // reorder gap, largest seed
	f.Add("rate=1.5mbit,limit=1000000")                                                   // decimal rate, largest limit
	f.Add("loss=1e1%,dup=0x1p-2%")                                                        // float syntaxes strconv accepts
	f.Add(" , ")                                                                          // only an empty term
	f.Add("c2s:")                                                                         // prefix with nothing after it
	f.Add("loss=150%")                                                                    // out of range
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("Parse(%q) = %v, not an ErrSyntax", s, err)
			}
			return
		}
		for _, p := range []Params{spec.C2S, spec.S2C} {
			if err := p.Validate(); err != nil {
				t.Fatalf("Parse(%q) accepted invalid params: %v", s, err)
			}
		}
		again, err := Parse(spec.String())
		if err != nil {
			t.Fatalf("Parse(%q) = %v; String gave %q", s, err, spec.String())
		}
		if diff := cmp.Diff(spec, again); diff != "" {
			t.Fatalf("round trip of %q through %q (-first +second):\n%s", s, spec.String(), diff)
		}
	})
}

func TestIsZero(t *testing.T) {
	for _, tt := range []struct {
		p    Params
		want bool
	}{
		{Params{}, true},
		{Params{Loss: 1}, false},
		{Params{GE: &GE{}}, false},
		{Params{Queue: 5}, false},
	} {
		if got := tt.p.IsZero(); got != tt.want {
			t.Errorf("%+v.IsZero() = %v, want %v", tt.p, got, tt.want)
		}
	}
}
