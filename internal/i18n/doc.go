// Package i18n holds the program's languages and the message catalog that
// every sentence it shows comes from: the walk-through, the ladder's and
// the report's headings, and the demo's lines.
//
// The languages are one list (lang.go): English, the default, and
// Traditional Chinese (zh-TW), the language of the original lab, each with
// the tags --lang accepts, the locale names that make it the default, and
// how its sentences are joined. The --lang flags, their help, the default
// from the locale and the catalog all read that list.
//
// The catalog has one table per language, keyed by message id with named
// {placeholders} (Msg); a test checks that every table has the same ids
// and the same placeholders, so every language says the same things with
// the same numbers.
package i18n
