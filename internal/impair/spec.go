package impair

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Percent is a probability written as a percentage, from 0 to 100.
type Percent float64

// Prob returns p as a probability from 0 to 1.
func (p Percent) Prob() float64 { return float64(p) / 100 }

// String formats p as the parser reads it, such as "2.5%".
func (p Percent) String() string {
	return strconv.FormatFloat(float64(p), 'g', -1, 64) + "%"
}

// GE is the Gilbert–Elliott burst-loss model: a two-state Markov chain
// evaluated once per frame.
type GE struct {
	// P is the probability that a good link turns bad.
	P Percent
	// R is the probability that a bad link turns good.
	R Percent
	// LossBad is the loss probability in the bad state.
	LossBad Percent
	// LossGood is the loss probability in the good state.
	LossGood Percent
}

// MeanLoss returns the long-run fraction of frames the model loses, from 0
// to 1.
func (g GE) MeanLoss() float64 {
	p, r := g.P.Prob(), g.R.Prob()
	if p+r == 0 {
		return g.LossGood.Prob() // never leaves the good state it starts in
	}
	return (p*g.LossBad.Prob() + r*g.LossGood.Prob()) / (p + r)
}

// Params are the impairments of one direction. The zero Params forward
// every frame at once, unchanged.
type Params struct {
	Loss       Percent       // random loss
	GE         *GE           // burst loss; when set, Loss must be zero
	Delay      time.Duration // fixed delay
	Jitter     time.Duration // uniform jitter around Delay
	Reorder    Percent       // probability of holding a frame back
	ReorderGap time.Duration // how long a reordered frame is held back; 0 means DefaultReorderGap
	Dup        Percent       // duplication probability
	Rate       uint64        // bits per second; 0 means unlimited
	Queue      int           // frames waiting for the rate limiter; 0 means DefaultQueue
	Limit      int           // frames held in all; 0 means DefaultLimit
	ECN        Percent       // CE marking probability for ECT packets
}

// Defaults for the fields of Params left zero.
const (
	DefaultReorderGap = 10 * time.Millisecond
	DefaultQueue      = 100
	DefaultLimit      = 10000
)

// Limits on the values the parser and Validate accept.
const (
	MaxDelay = 10 * time.Second // for delay, jitter and the reorder gap
	MaxQueue = 1_000_000        // for queue and limit
	MaxRate  = 1_000_000_000_000
)

// IsZero reports whether p impairs nothing.
func (p Params) IsZero() bool { return p.equal(Params{}) }

func (p Params) equal(q Params) bool {
	pg, qg := p.GE, q.GE
	p.GE, q.GE = nil, nil
	if p != q {
		return false
	}
	if pg == nil || qg == nil {
		return pg == qg
	}
	return *pg == *qg
}

// Validate reports the first field of p out of range.
func (p Params) Validate() error {
	pct := []struct {
		name string
		v    Percent
	}{{"loss", p.Loss}, {"reorder", p.Reorder}, {"dup", p.Dup}, {"ecn", p.ECN}}
	if p.GE != nil {
		pct = append(pct, []struct {
			name string
			v    Percent
		}{{"ge P", p.GE.P}, {"ge R", p.GE.R}, {"ge loss in bad state", p.GE.LossBad}, {"ge loss in good state", p.GE.LossGood}}...)
		if p.Loss != 0 {
			return errors.New("loss and ge are both set: choose one loss model")
		}
	}
	for _, f := range pct {
		if !(f.v >= 0 && f.v <= 100) {
			return fmt.Errorf("%s %v is out of range 0%% to 100%%", f.name, float64(f.v))
		}
	}
	dur := []struct {
		name string
		v    time.Duration
	}{{"delay", p.Delay}, {"jitter", p.Jitter}, {"reorder gap", p.ReorderGap}}
	for _, f := range dur {
		if f.v < 0 || f.v > MaxDelay {
			return fmt.Errorf("%s %v is out of range 0 to %v", f.name, f.v, MaxDelay)
		}
	}
	if p.Rate > MaxRate {
		return fmt.Errorf("rate %d bit/s is above the maximum %d", p.Rate, uint64(MaxRate))
	}
	if p.Queue < 0 || p.Queue > MaxQueue {
		return fmt.Errorf("queue %d is out of range 0 (the default) to %d", p.Queue, MaxQueue)
	}
	if p.Limit < 0 || p.Limit > MaxQueue {
		return fmt.Errorf("limit %d is out of range 0 (the default) to %d", p.Limit, MaxQueue)
	}
	return nil
}

// Spec is a parsed impairment: the parameters of each direction and the
// seed.
type Spec struct {
	C2S Params // client to server
	S2C Params // server to client
	// Seed seeds the random choices; zero lets the caller pick one.
	Seed uint64
}

// ErrSyntax is wrapped by every error Parse returns.
var ErrSyntax = errors.New("bad impairment spec")

// SyntaxError is a Parse error: the term at fault, its byte offset in the
// spec, and what is wrong with it.
type SyntaxError struct {
	Term   string // the term as written, such as "loss=150%"
	Offset int    // byte offset of the term in the spec
	Err    error  // what is wrong
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("impair: term %q at offset %d: %v", e.Term, e.Offset, e.Err)
}

// Unwrap returns the underlying error.
func (e *SyntaxError) Unwrap() error { return e.Err }

// Is reports whether target is ErrSyntax.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// keys lists the term names in the order String writes them.
var keys = []string{"loss", "ge", "delay", "jitter", "reorder", "dup", "rate", "queue", "limit", "ecn"}

// Parse reads a spec such as "loss=5%,delay=20ms,c2s:reorder=2%" (see the
// package documentation). The empty spec impairs nothing.
func Parse(s string) (Spec, error) {
	var spec Spec
	off := 0
	for term := range strings.SplitSeq(s, ",") {
		start := off
		off += len(term) + 1
		trimmed := strings.TrimSpace(term)
		start += strings.Index(term, trimmed)
		if trimmed == "" {
			if strings.TrimSpace(s) == "" {
				break
			}
			return Spec{}, &SyntaxError{Term: term, Offset: start, Err: errors.New("empty term (two commas in a row, or a comma at an end)")}
		}
		if err := spec.apply(trimmed); err != nil {
			return Spec{}, &SyntaxError{Term: trimmed, Offset: start, Err: err}
		}
	}
	for _, d := range []struct {
		name string
		p    *Params
	}{{"c2s", &spec.C2S}, {"s2c", &spec.S2C}} {
		if err := d.p.Validate(); err != nil {
			return Spec{}, &SyntaxError{Term: s, Offset: 0, Err: fmt.Errorf("%s: %w", d.name, err)}
		}
	}
	return spec, nil
}

// apply sets the fields that one term names.
func (spec *Spec) apply(term string) error {
	targets := []*Params{&spec.C2S, &spec.S2C}
	dir, rest, found := strings.Cut(term, ":")
	if found {
		switch strings.ToLower(strings.TrimSpace(dir)) {
		case "c2s":
			targets = targets[:1]
		case "s2c":
			targets = targets[1:]
		default:
			return fmt.Errorf("unknown direction %q: want c2s or s2c", dir)
		}
		term = strings.TrimSpace(rest)
	}
	key, val, ok := strings.Cut(term, "=")
	if !ok {
		return fmt.Errorf("missing '=': want name=value, one of %s", strings.Join(append(keys, "seed"), ", "))
	}
	key = strings.ToLower(strings.TrimSpace(key))
	val = strings.TrimSpace(val)
	if key == "seed" {
		if found {
			return errors.New("seed applies to both directions: remove the direction prefix")
		}
		n, err := strconv.ParseUint(val, 10, 64)
		if err != nil {
			return fmt.Errorf("seed %q: want a non-negative integer", val)
		}
		spec.Seed = n
		return nil
	}
	set, err := parseValue(key, val)
	if err != nil {
		return err
	}
	for _, p := range targets {
		set(p)
	}
	return nil
}

// parseValue parses val for key and returns the function that stores it.
func parseValue(key, val string) (func(*Params), error) {
	switch key {
	case "loss", "dup", "ecn":
		v, err := parsePercent(val)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		switch key {
		case "loss":
			return func(p *Params) { p.Loss, p.GE = v, nil }, nil
		case "dup":
			return func(p *Params) { p.Dup = v }, nil
		}
		return func(p *Params) { p.ECN = v }, nil
	case "ge":
		parts := strings.Split(val, "/")
		if len(parts) < 2 || len(parts) > 4 {
			return nil, fmt.Errorf("ge %q: want P/R, P/R/LOSSBAD or P/R/LOSSBAD/LOSSGOOD (percentages)", val)
		}
		g := GE{LossBad: 100}
		fields := []*Percent{&g.P, &g.R, &g.LossBad, &g.LossGood}
		for i, part := range parts {
			v, err := parsePercent(part)
			if err != nil {
				return nil, fmt.Errorf("ge part %d: %w", i+1, err)
			}
			*fields[i] = v
		}
		return func(p *Params) { p.Loss = 0; c := g; p.GE = &c }, nil
	case "delay", "jitter":
		d, err := parseDuration(val)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		if key == "delay" {
			return func(p *Params) { p.Delay = d }, nil
		}
		return func(p *Params) { p.Jitter = d }, nil
	case "reorder":
		prob, gap, hasGap := strings.Cut(val, "/")
		v, err := parsePercent(prob)
		if err != nil {
			return nil, fmt.Errorf("reorder: %w", err)
		}
		var d time.Duration
		if hasGap {
			if d, err = parseDuration(gap); err != nil {
				return nil, fmt.Errorf("reorder gap: %w", err)
			}
			if d == 0 {
				return nil, errors.New("reorder gap: must be above zero")
			}
		}
		return func(p *Params) { p.Reorder, p.ReorderGap = v, d }, nil
	case "rate":
		r, err := parseRate(val)
		if err != nil {
			return nil, err
		}
		return func(p *Params) { p.Rate = r }, nil
	case "queue", "limit":
		n, err := strconv.Atoi(val)
		if err != nil || n < 1 || n > MaxQueue {
			return nil, fmt.Errorf("%s %q: want a whole number of frames from 1 to %d", key, val, MaxQueue)
		}
		if key == "queue" {
			return func(p *Params) { p.Queue = n }, nil
		}
		return func(p *Params) { p.Limit = n }, nil
	}
	return nil, fmt.Errorf("unknown name %q: want one of %s", key, strings.Join(append(keys, "seed"), ", "))
}

func parsePercent(s string) (Percent, error) {
	num, ok := strings.CutSuffix(s, "%")
	if !ok {
		return 0, fmt.Errorf("%q: want a percentage such as 5%%", s)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || v < 0 || v > 100 {
		return 0, fmt.Errorf("%q: want a percentage from 0%% to 100%%", s)
	}
	return Percent(v), nil
}

func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q: want a duration such as 20ms or 1.5s", s)
	}
	if d < 0 || d > MaxDelay {
		return 0, fmt.Errorf("%q: want a duration from 0 to %v", s, MaxDelay)
	}
	return d, nil
}

// rateUnits are the units of rate=, tc's names for bits per second.
var rateUnits = []struct {
	name string
	mult float64
}{{"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}, {"bit", 1}}

func parseRate(s string) (uint64, error) {
	lower := strings.ToLower(s)
	for _, u := range rateUnits {
		num, ok := strings.CutSuffix(lower, u.name)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || math.IsNaN(v) {
			break
		}
		bits := math.Round(v * u.mult)
		if bits < 1 || bits > MaxRate {
			return 0, fmt.Errorf("rate %q: want from 1bit to 1000gbit", s)
		}
		return uint64(bits), nil
	}
	return 0, fmt.Errorf("rate %q: want a number and a unit: bit, kbit, mbit or gbit (such as 10mbit)", s)
}

func formatRate(r uint64) string {
	for _, u := range rateUnits {
		m := uint64(u.mult)
		if r%m == 0 {
			return strconv.FormatUint(r/m, 10) + u.name
		}
	}
	return strconv.FormatUint(r, 10) + "bit"
}

// terms returns p's terms as a map from key to value, omitting fields
// left at zero; String orders them by keys.
func (p Params) terms() map[string]string {
	t := map[string]string{}
	if p.Loss != 0 {
		t["loss"] = p.Loss.String()
	}
	if p.GE != nil {
		t["ge"] = p.GE.P.String() + "/" + p.GE.R.String() + "/" + p.GE.LossBad.String() + "/" + p.GE.LossGood.String()
	}
	if p.Delay != 0 {
		t["delay"] = p.Delay.String()
	}
	if p.Jitter != 0 {
		t["jitter"] = p.Jitter.String()
	}
	if p.Reorder != 0 || p.ReorderGap != 0 {
		t["reorder"] = p.Reorder.String()
		if p.ReorderGap != 0 {
			t["reorder"] += "/" + p.ReorderGap.String()
		}
	}
	if p.Dup != 0 {
		t["dup"] = p.Dup.String()
	}
	if p.Rate != 0 {
		t["rate"] = formatRate(p.Rate)
	}
	if p.Queue != 0 {
		t["queue"] = strconv.Itoa(p.Queue)
	}
	if p.Limit != 0 {
		t["limit"] = strconv.Itoa(p.Limit)
	}
	if p.ECN != 0 {
		t["ecn"] = p.ECN.String()
	}
	return t
}

// String formats s in the syntax Parse reads: terms common to both
// directions without a prefix, the others with "c2s:" or "s2c:". Parse of
// the result gives s back.
func (s Spec) String() string {
	c, r := s.C2S.terms(), s.S2C.terms()
	var out []string
	var c2s, s2c []string
	for _, k := range keys {
		cv, cok := c[k]
		rv, rok := r[k]
		switch {
		case cok && rok && cv == rv:
			out = append(out, k+"="+cv)
		default:
			if cok {
				c2s = append(c2s, "c2s:"+k+"="+cv)
			}
			if rok {
				s2c = append(s2c, "s2c:"+k+"="+rv)
			}
		}
	}
	out = append(append(out, c2s...), s2c...)
	if s.Seed != 0 {
		out = append(out, "seed="+strconv.FormatUint(s.Seed, 10))
	}
	return strings.Join(out, ",")
}
