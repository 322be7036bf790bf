package report

import (
	"encoding/base64"
	"html/template"
	"io"

	"github.com/tcplab/tcplab/internal/check"
	"github.com/tcplab/tcplab/internal/i18n"
)

// htmlPage is the per-student report: a table of the checks, then each
// check's evidence (reason, hint, details, the program's output, packets
// and ladder, a link to the check's pcapng). It is one file with no
// outside resources.
var htmlPage = template.Must(template.New("check").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8">
<title>{{.Head}}</title>
<style>
body{font-family:system-ui,"Noto Sans CJK TC",sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
span.pass,td.pass{color:#1a7f37}span.fail,td.fail{color:#cf222e;font-weight:bold}span.warn,td.warn{color:#9a6700}span.skip,td.skip{color:#777}td.pass,td.fail,td.warn,td.skip{white-space:nowrap}
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;font-size:.85rem}
details{margin:.6rem 0;border-left:4px solid #ddd;padding-left:.8rem}details.fail{border-color:#cf222e}details.warn{border-color:#d4a72c}
</style></head><body>
<h1>{{.Head}}</h1>
<p>{{.Summary}}</p>
{{if .CaptureNote}}<p><em>{{.CaptureNote}}</em></p>{{end}}
<table><tr><th>{{.StatusHead}}</th><th>{{.CheckHead}}</th><th>{{.ReasonHead}}</th></tr>
{{range .Checks}}<tr><td class="{{.Status}}">{{.StatusText}}</td><td><a href="#{{.ID}}">{{.Title}}</a></td><td>{{.Reason}}</td></tr>
{{end}}</table>
{{range .Checks}}<details id="{{.ID}}" class="{{.Status}}"{{if .Open}} open{{end}}><summary><span class="{{.Status}}">{{.StatusText}}</span> {{.Title}} <code>{{.ID}}</code></summary>
<p>{{.Reason}}</p>{{if .Hint}}<p>→ {{.Hint}}</p>{{end}}
{{if .Details}}<pre>{{range .Details}}{{.}}
{{end}}</pre>{{end}}
{{if .Output}}<h4>{{$.OutputHead}}</h4><pre>{{.Output}}</pre>{{end}}
{{if .Packets}}<h4>{{$.PacketsHead}}</h4><pre>{{range .Packets}}{{.}}
{{end}}</pre>{{end}}
{{if .Ladder}}<pre>{{.Ladder}}</pre>{{end}}
{{if .PCAPNG}}<p><a download="{{.ID}}.pcapng" href="{{.PCAPNG}}">{{.ID}}.pcapng</a></p>{{end}}
{{if .Note}}<p><em>{{.Note}}</em></p>{{end}}
</details>
{{end}}</body></html>
`))

type htmlCheck struct {
	ID, Status, StatusText, Title, Reason, Hint string
	Details, Packets                            []string
	Output, Ladder, Note                        string
	PCAPNG                                      template.URL
	Open                                        bool
}

// HTML writes the per-student report.
func HTML(w io.Writer, rep *check.Report) error {
	lang := rep.Lang
	n := rep.Counts()
	data := struct {
		Lang, Head, Summary, CaptureNote                           string
		StatusHead, CheckHead, ReasonHead, OutputHead, PacketsHead string
		Checks                                                     []htmlCheck
	}{
		Lang: string(lang), Head: i18n.Msg(lang, "check.head."+rep.Kind, "target", rep.Target),
		Summary:     i18n.Msg(lang, "check.summary", "pass", n[check.Pass], "fail", n[check.Fail], "warn", n[check.Warn], "skip", n[check.Skip], "took", fmtSeconds(rep)),
		CaptureNote: rep.CaptureNote,
		StatusHead:  i18n.Msg(lang, "check.html.status"), CheckHead: i18n.Msg(lang, "check.html.check"), ReasonHead: i18n.Msg(lang, "check.html.reason"),
		OutputHead: i18n.Msg(lang, "check.html.output"), PacketsHead: i18n.Msg(lang, "check.html.packets"),
	}
	for _, r := range rep.Results {
		c := htmlCheck{
			ID: r.ID, Status: string(r.Status), StatusText: i18n.Msg(lang, "check.status."+string(r.Status)), Title: r.Title,
			Reason: r.Reason, Hint: r.Hint, Details: r.Details, Output: r.Output, Open: r.Status == check.Fail || r.Status == check.Warn,
		}
		if p := r.Packets; p != nil {
			c.Packets, c.Ladder, c.Note = p.List, p.Ladder, p.Note
			if len(p.PCAPNG) > 0 {
				c.PCAPNG = template.URL("data:application/octet-stream;base64," + base64.StdEncoding.EncodeToString(p.PCAPNG))
			}
		}
		data.Checks = append(data.Checks, c)
	}
	return htmlPage.Execute(w, data)
}
