package report

import (
	"encoding/json"
	"io"
	"math"
	"time"

	"github.com/tcplab/tcplab/internal/check"
)

// checkRecord is one check in the ndjson output; the field order is the
// contract's (docs/check.md).
type checkRecord struct {
	Type    string   `json:"type"`
	Kind    string   `json:"kind"`
	ID      string   `json:"id"`
	Title   string   `json:"title"`
	Status  string   `json:"status"`
	Reason  string   `json:"reason"`
	Hint    string   `json:"hint"`
	Details []string `json:"details"`
	Output  string   `json:"output"`
	Packets []string `json:"packets"`
	TookMS  float64  `json:"took_ms"`
}

// summaryRecord ends the ndjson output.
type summaryRecord struct {
	Type        string  `json:"type"`
	Kind        string  `json:"kind"`
	Target      string  `json:"target"`
	Lang        string  `json:"lang"`
	Checks      int     `json:"checks"`
	Passed      int     `json:"passed"`
	Failed      int     `json:"failed"`
	Warnings    int     `json:"warnings"`
	Skipped     int     `json:"skipped"`
	ExitCode    int     `json:"exit_code"`
	CaptureNote string  `json:"capture_note"`
	TookMS      float64 `json:"took_ms"`
}

func millis(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// NDJSON writes one "check" record per check, then a "summary" record.
func NDJSON(w io.Writer, rep *check.Report) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, r := range rep.Results {
		rec := checkRecord{
			Type: "check", Kind: rep.Kind, ID: r.ID, Title: r.Title, Status: string(r.Status),
			Reason: r.Reason, Hint: r.Hint, Details: r.Details, Output: r.Output, TookMS: millis(r.Took),
		}
		if rec.Details == nil {
			rec.Details = []string{}
		}
		rec.Packets = []string{}
		if r.Packets != nil && r.Packets.List != nil {
			rec.Packets = r.Packets.List
		}
		if err := enc.Encode(rec); err != nil {
			return err
		}
	}
	n := rep.Counts()
	return enc.Encode(summaryRecord{
		Type: "summary", Kind: rep.Kind, Target: rep.Target, Lang: string(rep.Lang),
		Checks: len(rep.Results), Passed: n[check.Pass], Failed: n[check.Fail], Warnings: n[check.Warn], Skipped: n[check.Skip],
		ExitCode: rep.ExitCode(), CaptureNote: rep.CaptureNote, TookMS: millis(rep.Took),
	})
}
