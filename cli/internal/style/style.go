// Package style colours the CLI's output, on a terminal only: never into a pipe or a file, and
// never when NO_COLOR is set (https://no-color.org) or TERM is "dumb".
package style

import (
	"io"
	"os"

	"golang.org/x/term"
)

// Style renders text in colour or plainly.
type Style struct{ on bool }

// For returns the style for output to w: colour when w is a terminal and colour is not off.
func For(w io.Writer) Style { return Style{on: Enabled(w)} }

// Plain never colours.
var Plain = Style{}

// Enabled reports whether output to w may carry colour.
func Enabled(w io.Writer) bool {
	if _, off := os.LookupEnv("NO_COLOR"); off {
		return false
	}
	if os.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (s Style) wrap(code, text string) string {
	if !s.on || text == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

// Bold is for headings.
func (s Style) Bold(text string) string { return s.wrap("1", text) }

// Red is for what is breached or failed.
func (s Style) Red(text string) string { return s.wrap("31", text) }

// Yellow is for what is warned or waiting.
func (s Style) Yellow(text string) string { return s.wrap("33", text) }

// Green is for what is met or done.
func (s Style) Green(text string) string { return s.wrap("32", text) }

// Dim is for secondary detail.
func (s Style) Dim(text string) string { return s.wrap("2", text) }
