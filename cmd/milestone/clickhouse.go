package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/milestone-go/milestone/internal/report/runsummary"
	"github.com/milestone-go/milestone/metrics/clickhouse"
)

// clickhouseTimeout bounds a read of runs from ClickHouse.
const clickhouseTimeout = 2 * time.Minute

// summaryFromClickHouse reads run id's rows back as event-log lines and
// summarizes them with the same code as a file.
func summaryFromClickHouse(url, id string) (*runsummary.Summary, error) {
	ctx, cancel := context.WithTimeout(context.Background(), clickhouseTimeout)
	defer cancel()
	lines, err := clickhouse.ReadRun(ctx, id, clickhouseOpts(url)...)
	if err != nil {
		return nil, err
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("run %q has no rows in ClickHouse", id)
	}
	return runsummary.Read(bytes.NewReader(lines))
}

// runsFromClickHouse lists every run of the table.
func runsFromClickHouse(url string) ([]runsummary.RunInfo, error) {
	ctx, cancel := context.WithTimeout(context.Background(), clickhouseTimeout)
	defer cancel()
	all, err := clickhouse.ListRuns(ctx, clickhouseOpts(url)...)
	if err != nil {
		return nil, err
	}
	list := make([]runsummary.RunInfo, 0, len(all))
	for id, lines := range all {
		s, err := runsummary.Read(bytes.NewReader(lines))
		list = append(list, runsummary.InfoFrom(id, s, err))
	}
	runsummary.SortRuns(list)
	return list, nil
}

// clickhouseDDLCmd is `milestone clickhouse ddl`.
var clickhouseDDLCmd = &command{
	name:  "clickhouse ddl",
	usage: "clickhouse ddl [--database DB] [--table TABLE]",
	about: `clickhouse ddl prints the CREATE TABLE statement of the table
metrics/clickhouse inserts into (the demo service creates it itself with
WithCreateTable).`,
	flags: func(fs *flag.FlagSet) func(*env, []string) int {
		db := fs.String("database", clickhouse.DefaultDatabase, "the database")
		table := fs.String("table", clickhouse.DefaultTable, "the table")
		return func(e *env, args []string) int {
			if len(args) > 0 {
				return e.usage("want no argument, got %q", args)
			}
			for _, name := range []string{*db, *table} {
				if err := clickhouse.CheckIdentifier(name); err != nil {
					return e.usage("%v", err)
				}
			}
			fmt.Fprint(e.stdout, clickhouse.DDL(*db, *table))
			return 0
		}
	},
}
