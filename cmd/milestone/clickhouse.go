package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/milestone-go/milestone/metrics/clickhouse"
	"github.com/milestone-go/milestone/runs"
)

// clickhouseTimeout bounds a read of runs from ClickHouse.
const clickhouseTimeout = 2 * time.Minute

// summaryFromClickHouse reads run id's rows back as event-log lines and
// summarizes them with the same code as a file.
func summaryFromClickHouse(url, id string, opts ...runs.Option) (*runs.Summary, error) {
	ctx, cancel := context.WithTimeout(context.Background(), clickhouseTimeout)
	defer cancel()
	s, err := runs.Summarize(ctx, runs.ClickHouse(clickhouseOpts(url)...), id, opts...)
	if errors.Is(err, runs.ErrNotFound) {
		return nil, fmt.Errorf("run %q has no rows in ClickHouse", id)
	}
	return s, err
}

// runsFromClickHouse lists every run of the table.
func runsFromClickHouse(url string) ([]runs.RunInfo, error) {
	ctx, cancel := context.WithTimeout(context.Background(), clickhouseTimeout)
	defer cancel()
	return runs.ClickHouse(clickhouseOpts(url)...).List(ctx)
}

// clickhouseDDLCmd is `milestone clickhouse ddl`.
var clickhouseDDLCmd = &command{
	name:  "clickhouse ddl",
	usage: "clickhouse ddl [--database DB] [--table TABLE] [--cluster NAME] [--server-version V] [--create URL[,URL...]]",
	about: `clickhouse ddl prints the statements that create the table
metrics/clickhouse inserts into, each ending in a semicolon (the demo
service creates it itself with WithCreateTable). With --cluster, a MergeTree
table TABLE_local and a Distributed table TABLE over the cluster's local
tables, sharded by run: run both on every node. --server-version (as SELECT
version() prints it) picks the column types that suit the servers.
--create runs the statements on every server it names instead of printing
them, with the types that suit each (credentials from the URLs or the
MILESTONE_CLICKHOUSE_USER and _PASSWORD variables).`,
	flags: func(fs *flag.FlagSet) func(*env, []string) int {
		db := fs.String("database", clickhouse.DefaultDatabase, "the database")
		table := fs.String("table", clickhouse.DefaultTable, "the table")
		cluster := fs.String("cluster", "", "the cluster (of the servers' remote_servers) to shard the table over")
		version := fs.String("server-version", "", "the servers' version, such as 18.16.1 (default: a current server; with --create, each server's)")
		create := fs.String("create", "", "run the statements on these servers (comma-separated URLs) instead of printing them")
		return func(e *env, args []string) int {
			if len(args) > 0 {
				return e.usage("want no argument, got %q", args)
			}
			o := clickhouse.TableOptions{Cluster: *cluster, ServerVersion: *version}
			stmts, err := clickhouse.Statements(*db, *table, o)
			if err != nil {
				return e.usage("%v", err)
			}
			if *create != "" {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if err := clickhouse.CreateTable(ctx, o, clickhouse.WithURL(*create), clickhouse.WithDatabase(*db), clickhouse.WithTable(*table)); err != nil {
					fmt.Fprintf(e.stderr, "milestone clickhouse ddl: %v\n", err)
					return 1
				}
				what := *db + "." + *table
				if *cluster != "" {
					what = *db + "." + clickhouse.LocalTable(*table) + " and the Distributed table " + what + " over it"
				}
				fmt.Fprintf(e.stdout, "created %s on %s\n", what, withoutCredentials(*create))
				return 0
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

// withoutCredentials returns a comma-separated list of URLs without their
// userinfo, for printing.
func withoutCredentials(list string) string {
	var out []string
	for _, raw := range strings.Split(list, ",") {
		if u, err := url.Parse(strings.TrimSpace(raw)); err == nil {
			u.User = nil
			raw = u.String()
		}
		out = append(out, raw)
	}
	return strings.Join(out, ", ")
}
