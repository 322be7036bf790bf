// Package report writes the outcome of tcplab check: a terminal summary,
// ndjson records (docs/check.md), JUnit XML as autograders read it, and a
// standalone HTML page per student with each check's evidence.
package report
