package labsheet

import (
	"bufio"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/textwrap"
)

// WriteText writes the sheet in lang as plain text wrapped to width
// columns (80 when width is 20 or less), East Asian wide characters
// counting two.
func WriteText(out io.Writer, s *Sheet, lang i18n.Lang, width int) error {
	if width <= 20 {
		width = 80
	}
	d := words(s, lang)
	bw := bufio.NewWriter(out)
	bw.WriteString(d.Title + "\n")
	bw.WriteString(strings.Repeat("=", min(textwrap.Width(d.Title), width)) + "\n")
	for _, q := range d.Questions {
		bw.WriteString("\n")
		for i, line := range textwrap.Wrap(q.Heading, width-4) {
			if i > 0 {
				line = "    " + line
			}
			bw.WriteString(line + "\n")
		}
		for i := 0; i <= len(q.Paras); i++ {
			if q.Table != nil && i == q.TableAt {
				writeTable(bw, q.Table)
			}
			if i == len(q.Paras) {
				break
			}
			for _, line := range textwrap.Wrap(q.Paras[i], width-3) {
				bw.WriteString(strings.TrimRight("   "+line, " ") + "\n")
			}
		}
	}
	return bw.Flush()
}

// writeTable writes a table with columns padded to their widest cell,
// numbers aligned right.
func writeTable(bw *bufio.Writer, t *table) {
	widths := make([]int, len(t.Header))
	for i, h := range t.Header {
		widths[i] = textwrap.Width(h)
	}
	for _, r := range t.Rows {
		for i, c := range r {
			widths[i] = max(widths[i], textwrap.Width(c))
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		b.WriteString("  ")
		for i, c := range cells {
			b.WriteString(" " + strings.Repeat(" ", widths[i]-textwrap.Width(c)) + c)
		}
		bw.WriteString(strings.TrimRight(b.String(), " ") + "\n")
	}
	line(t.Header)
	for _, r := range t.Rows {
		line(r)
	}
}

// WriteJSON writes the sheet as one JSON object on one line, with
// "type":"lab_sheet" first (docs/lab-sheet.md describes the keys).
func WriteJSON(out io.Writer, s *Sheet) error {
	b, err := json.Marshal(struct {
		Type string `json:"type"`
		*Sheet
	}{"lab_sheet", s})
	if err != nil {
		return fmt.Errorf("labsheet: %w", err)
	}
	_, err = out.Write(append(b, '\n'))
	return err
}

var htmlTmpl = template.Must(template.New("sheet").Parse(`<section class="lab-sheet" id="lab-sheet-{{.Stream}}" lang="{{.Lang}}">
<h2>{{.Doc.Title}}</h2>
{{range .Doc.Questions}}<section class="lab-q" id="lab-{{$.Stream}}-{{.ID}}">
<h3>{{.Heading}}</h3>
{{$q := .}}{{range $i, $p := .Paras}}{{if and $q.Table (eq $i $q.TableAt)}}{{template "table" $q.Table}}{{end}}<p>{{$p}}</p>
{{end}}{{if and .Table (eq .TableAt (len .Paras))}}{{template "table" .Table}}{{end}}</section>
{{end}}</section>
{{define "table"}}<table class="lab-rtt"><thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</tbody></table>
{{end}}`))

// WriteHTML writes the sheet in lang as one HTML section (class
// "lab-sheet", id "lab-sheet-N" for stream N; each question a section
// with an h3 and the RTT table a table of class "lab-rtt"), every text
// escaped, for the HTML report to embed. It holds no script and no style:
// the report's style sheet applies.
func WriteHTML(out io.Writer, s *Sheet, lang i18n.Lang) error {
	if !lang.Known() {
		lang = i18n.English
	}
	err := htmlTmpl.Execute(out, struct {
		Stream int
		Lang   string
		Doc    *doc
	}{s.Stream, string(lang), words(s, lang)})
	if err != nil {
		return fmt.Errorf("labsheet: html: %w", err)
	}
	return nil
}
