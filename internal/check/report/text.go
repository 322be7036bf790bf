package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/tcplab/tcplab/internal/check"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/textwrap"
)

// TextOptions shape the terminal summary.
type TextOptions struct {
	// Color marks statuses with ANSI colours.
	Color bool
	// Verbose adds every check's details, not only the failed ones'.
	Verbose bool
}

var statusColor = map[check.Status]string{check.Pass: "\x1b[32m", check.Fail: "\x1b[31m", check.Warn: "\x1b[33m", check.Skip: "\x1b[2m"}

// Text writes the terminal summary: one line per check with its status
// and reason, the hint and details under a failed or warned check, then
// the counts.
func Text(w io.Writer, rep *check.Report, o TextOptions) error {
	lang := rep.Lang
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", i18n.Msg(lang, "check.head."+rep.Kind, "target", rep.Target))
	width := 0
	for _, r := range rep.Results {
		width = max(width, textwrap.Width(r.Title))
	}
	for _, r := range rep.Results {
		st := i18n.Msg(lang, "check.status."+string(r.Status))
		if o.Color {
			st = statusColor[r.Status] + st + "\x1b[0m"
		}
		pad := strings.Repeat(" ", width-textwrap.Width(r.Title))
		fmt.Fprintf(&b, "  %s  %s%s  %s\n", st, r.Title, pad, r.Reason)
		if r.Hint != "" {
			fmt.Fprintf(&b, "        → %s\n", r.Hint)
		}
		if r.Status == check.Fail || r.Status == check.Warn || o.Verbose {
			for _, d := range r.Details {
				fmt.Fprintf(&b, "          %s\n", d)
			}
		}
	}
	if rep.CaptureNote != "" {
		fmt.Fprintf(&b, "%s\n", rep.CaptureNote)
	}
	n := rep.Counts()
	fmt.Fprintf(&b, "%s\n", i18n.Msg(lang, "check.summary", "pass", n[check.Pass], "fail", n[check.Fail], "warn", n[check.Warn], "skip", n[check.Skip], "took", fmtSeconds(rep)))
	_, err := io.WriteString(w, b.String())
	return err
}

// fmtSeconds is the run's length in seconds, one decimal.
func fmtSeconds(rep *check.Report) string { return fmt.Sprintf("%.1f", rep.Took.Seconds()) }
