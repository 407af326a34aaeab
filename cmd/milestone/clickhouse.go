package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
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

// clickhouseCmd is `milestone clickhouse ddl [--database DB] [--table T]`.
func clickhouseCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "ddl" {
		fmt.Fprintf(stderr, "milestone clickhouse: want the subcommand ddl\n%s", usage)
		return 2
	}
	db, table := clickhouse.DefaultDatabase, clickhouse.DefaultTable
	for i := 1; i < len(args); i++ {
		if i+1 == len(args) {
			fmt.Fprintf(stderr, "milestone clickhouse ddl: %s needs a value\n%s", args[i], usage)
			return 2
		}
		switch args[i] {
		case "--database", "-database":
			db = args[i+1]
		case "--table", "-table":
			table = args[i+1]
		default:
			fmt.Fprintf(stderr, "milestone clickhouse ddl: unknown flag %s\n%s", args[i], usage)
			return 2
		}
		i++
	}
	for _, name := range []string{db, table} {
		if err := clickhouse.CheckIdentifier(name); err != nil {
			fmt.Fprintf(stderr, "milestone clickhouse ddl: %v\n", err)
			return 2
		}
	}
	fmt.Fprint(stdout, clickhouse.DDL(db, table))
	return 0
}
