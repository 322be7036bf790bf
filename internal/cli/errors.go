package cli

import (
	"errors"
	"regexp"
)

// internalPrefix matches the "package: " prefixes that internal packages
// put on their errors (STYLE.md: say what failed and where), which mean
// nothing to a user: the name of the package, at the start of the message
// or of a part of it.
var internalPrefix = regexp.MustCompile(`(^|[\s("])(render: report|afpacket|capfilter|decode|explain|i18n|impair|labproto|labsheet|listing|netlab|pcapio|plainlog|render|seqnum|sockstate|tcpanalysis|userstack): `)

// internalWords replaces the prefixes that name what failed with the word a
// user knows; the others go.
var internalWords = map[string]string{
	"capfilter": "filter: ",
	"pcapio":    "capture file: ",
}

// userMessage returns err's message without internal package names.
func userMessage(err error) string {
	return internalPrefix.ReplaceAllStringFunc(err.Error(), func(m string) string {
		sub := internalPrefix.FindStringSubmatch(m)
		return sub[1] + internalWords[sub[2]]
	})
}

// userError is an error whose message names no internal package; it
// unwraps to the original, so that ExitCode and errors.Is still see it.
type userError struct {
	msg string
	err error
}

func (e userError) Error() string { return e.msg }
func (e userError) Unwrap() error { return e.err }

// forUser returns err with a message fit for the user (userMessage),
// keeping its chain; nil and messages already clean stay as they are.
func forUser(err error) error {
	if err == nil {
		return nil
	}
	var s silentError
	if errors.As(err, &s) {
		return err
	}
	if msg := userMessage(err); msg != err.Error() {
		return userError{msg: msg, err: err}
	}
	return err
}
