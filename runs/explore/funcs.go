package explore

import (
	"html/template"
	"strconv"
	"strings"

	"github.com/milestone-go/milestone/runs"
)

// funcs are the templates' helpers. None returns markup: every value is
// escaped by html/template.
var funcs = template.FuncMap{
	// f formats a coordinate.
	"f": func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) },
	// ms formats milliseconds as a duration.
	"ms": runs.Millis,
	// pct formats a share as a percentage.
	"pct": func(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" },
	// class turns a status into a class name: letters only.
	"class": func(s string) string {
		return strings.Map(func(r rune) rune {
			if 'a' <= r && r <= 'z' {
				return r
			}
			return '-'
		}, strings.ToLower(s))
	},
	// depth caps an indentation level at the stylesheet's deepest.
	"depth": func(d int) int { return min(d, 9) },
}
