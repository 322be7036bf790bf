package render

// RunRecord is the record of the run a report comes from (tcplab demo),
// in the report's language: what the terminal showed besides the
// conversations, so that the report can be handed in alone. The report
// shows it before the conversations.
type RunRecord struct {
	// Heading heads the record's section.
	Heading string
	// Facts are short labelled values: the command line, the date,
	// tcplab's version, the impairment, the capture files.
	Facts []Fact
	// Sections are the run's parts: each case's printed lines, the
	// transfer, the bridge's counters, the expert flags, the
	// reconciliation tables.
	Sections []RunSection
}

// Fact is one labelled value of a RunRecord.
type Fact struct {
	Label, Value string
}

// RunSection is one part of a RunRecord: a heading, text as the
// terminal printed it (the programs' lines, counters; shown
// preformatted), sentences, and tables.
type RunSection struct {
	Heading string
	Text    string
	Paras   []string
	Tables  []RunTable
}

// RunTable is a table of counts with a sentence for some lines (the
// reconciliation): Header names the three columns.
type RunTable struct {
	Title  string
	Header [3]string
	Rows   []RunRow
}

// RunRow is one line of a RunTable.
type RunRow struct {
	Label string
	N     int
	Note  string
}
