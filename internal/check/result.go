package check

import (
	"time"

	"github.com/tcplab/tcplab/internal/i18n"
)

// Status is a check's outcome.
type Status string

// The outcomes. A warning does not fail the run.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Warn Status = "warn"
	Skip Status = "skip"
)

// Result is one named check's outcome.
type Result struct {
	// ID names the check ("in-range", "no-comma"...); stable, for
	// machines.
	ID string
	// Title is the check's name in the report's language.
	Title string
	// Status is the outcome.
	Status Status
	// Reason is one line saying why.
	Reason string
	// Hint is a second line on what went wrong and what to fix; empty
	// when the check passed.
	Hint string
	// Details are further lines: what was sent and what came back.
	Details []string
	// Output is what the program under test printed during the check
	// (standard output, then standard error), when tcplab started it.
	Output string
	// Packets is the check's capture, when one was recorded.
	Packets *Packets
	// Took is how long the check ran.
	Took time.Duration
}

// Packets is the evidence a Recorder keeps for one check.
type Packets struct {
	// List is the packet list, one line per packet as tshark prints it.
	List []string
	// Ladder is the ladder diagram of the check's conversations as text.
	Ladder string
	// PCAPNG is the capture file's bytes.
	PCAPNG []byte
	// Note says why there are no packets (no capture permission...), if
	// there are none.
	Note string
}

// Recorder records the packets of one check at a time.
type Recorder interface {
	// Begin starts recording the TCP packets of port on loopback; end
	// stops and returns them.
	Begin(port int) (end func() *Packets, err error)
}

// Report is the outcome of a whole run.
type Report struct {
	// Kind is "server" or "client".
	Kind string
	// Target is what was checked: the command line or the address.
	Target string
	// Lang is the language of the titles and reasons.
	Lang i18n.Lang
	// Results are the checks in the order they ran.
	Results []Result
	// Started is when the run began; Took how long it lasted.
	Started time.Time
	Took    time.Duration
	// CaptureNote says why packets were not recorded, if they were not.
	CaptureNote string
}

// Counts returns how many checks ended with each status.
func (r *Report) Counts() map[Status]int {
	n := map[Status]int{Pass: 0, Fail: 0, Warn: 0, Skip: 0}
	for _, c := range r.Results {
		n[c.Status]++
	}
	return n
}

// Failed reports whether a check failed.
func (r *Report) Failed() bool { return r.Counts()[Fail] > 0 }

// ExitCode is the run's exit status: 1 when a check failed, else 0.
func (r *Report) ExitCode() int {
	if r.Failed() {
		return 1
	}
	return 0
}
