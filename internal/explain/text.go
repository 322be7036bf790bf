package explain

import (
	"bufio"
	"io"
	"strings"

	"github.com/tcplab/tcplab/internal/textwrap"
)

// WriteText writes the walk-through as plain text wrapped to width columns
// (80 when width is 20 or less), counting East Asian wide characters as two
// columns.
func (w *Walkthrough) WriteText(out io.Writer, width int) error {
	if width <= 20 {
		width = 80
	}
	bw := bufio.NewWriter(out)
	bw.WriteString(w.Title + "\n")
	bw.WriteString(strings.Repeat("=", min(textwrap.Width(w.Title), width)) + "\n")
	for _, sec := range w.Sections {
		bw.WriteString("\n" + sec.Heading + "\n")
		bw.WriteString(strings.Repeat("-", min(textwrap.Width(sec.Heading), width)) + "\n")
		for i, p := range sec.Paras {
			if sec.Table != nil && p.TableBefore {
				writeTable(bw, sec.Table, width)
			}
			indent := "  "
			if p.Sub {
				indent = "    "
			}
			if i > 0 && !p.Sub {
				bw.WriteString("\n")
			}
			for _, line := range textwrap.Wrap(p.Prefix+p.Text, width-len(indent)) {
				bw.WriteString(strings.TrimRight(indent+line, " ") + "\n")
			}
		}
	}
	return bw.Flush()
}

// writeTable writes a table with columns padded to their widest cell.
func writeTable(bw *bufio.Writer, t *Table, width int) {
	widths := make([]int, len(t.Header))
	for i, h := range t.Header {
		widths[i] = textwrap.Width(h)
	}
	for _, r := range t.Rows {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], textwrap.Width(c))
			}
		}
	}
	// Two spaces between columns, one when that would not fit.
	gap := "  "
	total := 4 + 2*(len(widths)-1)
	for _, w := range widths {
		total += w
	}
	if total > width {
		gap = " "
	}
	line := func(cells []string) {
		var b strings.Builder
		b.WriteString("\n    ")
		for i, c := range cells {
			if i >= len(widths) {
				break
			}
			if i > 0 {
				b.WriteString(gap)
			}
			pad := strings.Repeat(" ", widths[i]-textwrap.Width(c))
			if i >= 3 { // numbers align right
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
		}
		bw.WriteString(strings.TrimRight(b.String(), " ")[1:] + "\n")
	}
	bw.WriteString("\n")
	line(t.Header)
	for _, r := range t.Rows {
		line(r)
	}
}
