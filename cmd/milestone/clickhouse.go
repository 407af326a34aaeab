package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"strings"
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
	usage: "clickhouse ddl [--database DB] [--table TABLE] [--cluster NAME] [--server-version V]",
	about: `clickhouse ddl prints the statements that create the table
metrics/clickhouse inserts into, each ending in a semicolon (the demo
service creates it itself with WithCreateTable). With --cluster, a MergeTree
table TABLE_local and a Distributed table TABLE over the cluster's local
tables, sharded by run: run both on every node. --server-version (as SELECT
version() prints it) picks the column types that suit the servers.`,
	flags: func(fs *flag.FlagSet) func(*env, []string) int {
		db := fs.String("database", clickhouse.DefaultDatabase, "the database")
		table := fs.String("table", clickhouse.DefaultTable, "the table")
		cluster := fs.String("cluster", "", "the cluster (of the servers' remote_servers) to shard the table over")
		version := fs.String("server-version", "", "the servers' version, such as 18.16.1 (default: a current server)")
		return func(e *env, args []string) int {
			if len(args) > 0 {
				return e.usage("want no argument, got %q", args)
			}
			stmts, err := clickhouse.Statements(*db, *table, clickhouse.TableOptions{Cluster: *cluster, ServerVersion: *version})
			if err != nil {
				return e.usage("%v", err)
			}
			for i, stmt := range stmts {
				if i > 0 {
					fmt.Fprintln(e.stdout)
				}
				fmt.Fprint(e.stdout, strings.TrimRight(stmt, "\n")+";\n")
			}
			return 0
		}
	},
}
