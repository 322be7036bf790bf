package cli

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/tcplab/tcplab/internal/explain"
	"github.com/tcplab/tcplab/internal/i18n"
	"github.com/tcplab/tcplab/internal/labsheet"
)

// analyzeLabSheet prints the lab sheet of the capture called name: of
// stream (one number; "" for the busiest conversation), as text in the
// language langName or as JSON.
func analyzeLabSheet(env *Env, name, format, stream, langName string) error {
	lang, err := i18n.ParseLang(langName)
	if err != nil {
		return usageError{fmt.Errorf("analyze: --lang: %w", err)}
	}
	n := -1
	if stream != "" {
		v, err := strconv.ParseUint(stream, 10, 31)
		if err != nil {
			return usageError{fmt.Errorf("analyze: --lab-sheet: --stream %q: want one stream number", stream)}
		}
		n = int(v)
	}
	switch format {
	case "text", "ndjson", "json":
	default:
		return usageError{fmt.Errorf("analyze: --lab-sheet: --format %q: want text, ndjson or json", format)}
	}
	if name == "-" {
		return usageError{errors.New("analyze: --lab-sheet reads the capture twice: give a file, not standard input")}
	}
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	defer f.Close()
	sheet, sum, err := labsheet.Read(f, n)
	if sheet == nil {
		return fmt.Errorf("analyze %s: %w", name, err)
	}
	if format == "text" {
		if t := explain.NotAnalysed(lang, sum); t != "" {
			fmt.Fprintf(env.Stdout, "%s\n\n", t)
		}
		if werr := labsheet.WriteText(env.Stdout, sheet, lang, 80); werr != nil {
			return fmt.Errorf("analyze: lab sheet: %w", werr)
		}
	} else if werr := labsheet.WriteJSON(env.Stdout, sheet); werr != nil {
		return fmt.Errorf("analyze: lab sheet: %w", werr)
	}
	if err != nil {
		return fmt.Errorf("analyze %s: %w", name, err)
	}
	return nil
}
