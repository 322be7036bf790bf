package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tcplab/tcplab/internal/check"
)

// The JUnit XML elements, as Jenkins, GitHub Classroom and GitLab read
// them: one testsuite, one testcase per check; a failed check carries a
// <failure> whose message is the reason, a skipped one <skipped>, and a
// warning passes with the warning in <system-out>.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Skipped  int          `xml:"skipped,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name      string      `xml:"name,attr"`
		Tests     int         `xml:"tests,attr"`
		Failures  int         `xml:"failures,attr"`
		Errors    int         `xml:"errors,attr"`
		Skipped   int         `xml:"skipped,attr"`
		Time      string      `xml:"time,attr"`
		Timestamp string      `xml:"timestamp,attr"`
		Cases     []junitCase `xml:"testcase"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		ClassName string        `xml:"classname,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *junitMessage `xml:"failure,omitempty"`
		Skipped   *junitMessage `xml:"skipped,omitempty"`
		SystemOut string        `xml:"system-out,omitempty"`
	}
	junitMessage struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr,omitempty"`
		Text    string `xml:",chardata"`
	}
)

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// JUnit writes the report as JUnit XML.
func JUnit(w io.Writer, rep *check.Report) error {
	n := rep.Counts()
	suite := junitSuite{
		Name: "tcplab check " + rep.Kind, Tests: len(rep.Results), Failures: n[check.Fail], Skipped: n[check.Skip],
		Time: seconds(rep.Took), Timestamp: rep.Started.UTC().Format("2006-01-02T15:04:05"),
	}
	for _, r := range rep.Results {
		c := junitCase{Name: r.ID + ": " + r.Title, ClassName: "tcplab.check." + rep.Kind, Time: seconds(r.Took)}
		body := strings.Join(append([]string{r.Hint}, r.Details...), "\n")
		switch r.Status {
		case check.Fail:
			c.Failure = &junitMessage{Message: r.Reason, Type: "fail", Text: strings.TrimSpace(body + "\n" + r.Output)}
		case check.Skip:
			c.Skipped = &junitMessage{Message: r.Reason}
		case check.Warn:
			c.SystemOut = "warning: " + r.Reason + "\n" + body
		default:
			c.SystemOut = r.Reason
		}
		suite.Cases = append(suite.Cases, c)
	}
	doc := junitSuites{Tests: suite.Tests, Failures: suite.Failures, Skipped: suite.Skipped, Time: suite.Time, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
