package clickhouse

import (
	"errors"
	"fmt"
	"strings"
)

// layout is what the sink writes of the table it found: the columns its
// INSERT names, in order, and what it leaves out.
type layout struct {
	cols   []string
	insert string // the INSERT statement that names cols
	// missing are columns of DDL's table that this one lacks; mistyped are
	// those of a type the sink does not write ("code UInt8"). Neither is
	// written; the sink logs them once.
	missing, mistyped []string
}

// fullLayout is the layout of the table DDL creates, the sink's guess
// until it has asked the server.
func fullLayout(database, table string) *layout {
	l := &layout{}
	for _, c := range columns {
		if c.materialized == "" {
			l.cols = append(l.cols, c.name)
		}
	}
	l.insert = insertQuery(database, table, l.cols)
	return l
}

// errNoTable is what layoutQuery's answer means when it is empty.
var errNoTable = errors.New("the table does not exist")

// layoutQuery is the statement whose answer parseLayout reads.
func layoutQuery(database, table string) string {
	return "SELECT name, type, default_kind FROM system.columns WHERE database = " + quote(database) +
		" AND table = " + quote(table) + " FORMAT TSV"
}

// parseLayout reads the answer of layoutQuery: a line per column, its
// name, type and default kind separated by tabs.
func parseLayout(database, table, tsv string) (*layout, error) {
	have := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(tsv), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 2 {
			return nil, fmt.Errorf("reading the table's columns: unexpected line %q", line)
		}
		if len(f) >= 3 && (f[2] == "MATERIALIZED" || f[2] == "ALIAS") {
			continue // computed by the server, never inserted
		}
		have[f[0]] = f[1]
	}
	if len(have) == 0 {
		return nil, errNoTable
	}
	l := &layout{}
	for _, c := range columns {
		if c.materialized != "" {
			continue
		}
		typ, ok := have[c.name]
		switch {
		case !ok:
			l.missing = append(l.missing, c.name)
		case !writes(c, typ):
			l.mistyped = append(l.mistyped, c.name+" "+typ)
		default:
			l.cols = append(l.cols, c.name)
		}
	}
	if len(l.cols) == 0 {
		return nil, fmt.Errorf("the table has none of the columns milestone writes (%s)", strings.Join(fullLayout(database, table).cols, ", "))
	}
	l.insert = insertQuery(database, table, l.cols)
	return l, nil
}

// writes reports whether the sink can write column c into a column of
// type typ: its own type, or LowCardinality of a String.
func writes(c column, typ string) bool {
	switch c.typ {
	case "String":
		return typ == "String" || typ == "LowCardinality(String)"
	case "Array(String)":
		return typ == "Array(String)" || typ == "Array(LowCardinality(String))"
	}
	return typ == c.typ
}

// insertQuery is the INSERT statement of rows of cols into database.table.
func insertQuery(database, table string, cols []string) string {
	return "INSERT INTO " + database + "." + table + " (" + strings.Join(cols, ", ") + ") FORMAT RowBinary"
}

// complete reports whether the sink writes every column of DDL's table.
func (l *layout) complete() bool { return len(l.missing)+len(l.mistyped) == 0 }

// equal reports whether l and o write the same columns.
func (l *layout) equal(o *layout) bool {
	return strings.Join(l.cols, ",") == strings.Join(o.cols, ",")
}
