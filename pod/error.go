package pod

import (
	"strconv"
	"strings"
)

// Error is one problem in a manifest. Decode and Validate return them,
// several joined with errors.Join when a document has more than one, so a
// user fixes a file in one round instead of one error at a time.
type Error struct {
	File   string // "-" for standard input; may be empty
	Line   int    // 1-based; 0 when unknown
	Column int    // 1-based; 0 when unknown
	Field  string // path such as spec.containers[0].image; may be empty
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	if loc := location(e.File, e.Line, e.Column); loc != "" {
		b.WriteString(loc)
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// location formats file:line:column, leaving out what is unknown.
func location(file string, line, column int) string {
	if file == "-" {
		file = "<stdin>"
	}
	if line <= 0 {
		return file
	}
	loc := strconv.Itoa(line)
	if column > 0 {
		loc += ":" + strconv.Itoa(column)
	}
	if file == "" {
		return loc
	}
	return file + ":" + loc
}
