package clickhouse

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// column is one column of the events table.
type column struct {
	name string
	// typ is its type; a repetitive String column is written
	// LowCardinality(String) on servers that suit it (see TableOptions).
	typ        string
	repetitive bool
	// materialized is the expression of a column the server computes (the
	// sink never writes it).
	materialized string
}

// columns are the events table's columns, in order.
var columns = []column{
	{name: "ts", typ: "DateTime"},
	{name: "ts_ms", typ: "UInt16"},
	{name: "event_date", typ: "Date", materialized: "toDate(ts)"},
	{name: "service", typ: "String", repetitive: true},
	{name: "host", typ: "String", repetitive: true},
	{name: "run_id", typ: "String"},
	{name: "seq", typ: "UInt64"},
	{name: "trace_id", typ: "String"},
	{name: "span_id", typ: "String"},
	{name: "parent_span_id", typ: "String"},
	{name: "catalog", typ: "String", repetitive: true},
	{name: "event", typ: "String", repetitive: true},
	{name: "code", typ: "UInt16"},
	{name: "grp", typ: "String", repetitive: true},
	{name: "level", typ: "String", repetitive: true},
	{name: "ends_run", typ: "UInt8"},
	{name: "message", typ: "String"},
	{name: "num_keys", typ: "Array(String)"},
	{name: "num_values", typ: "Array(Float64)"},
	{name: "str_keys", typ: "Array(String)"},
	{name: "str_values", typ: "Array(String)"},
}

// TableOptions choose the shape of the statements Statements returns.
type TableOptions struct {
	// Cluster, when set, names a cluster of the servers' remote_servers:
	// the statements create a MergeTree table named LocalTable(table) and,
	// over the cluster's local tables, a Distributed table named table,
	// sharded by run (cityHash64(run_id)) so that one run's rows live on
	// one shard. Run them on every node: 18.16 has no ON CLUSTER without
	// ZooKeeper, and the Distributed table keeping the default name lets a
	// sink, `milestone runs` and `milestone summarize` use any node as it
	// is.
	Cluster string
	// ServerVersion is the servers' version as SELECT version() reports it
	// ("18.16.1"); empty means a current server. It chooses the repetitive
	// columns' type: LowCardinality(String) from 19.1 on, String before,
	// where LowCardinality is experimental and makes every insert about
	// 1.3-1.8 times slower (measured on 18.16: docs/design/clickhouse-fleet.md).
	ServerVersion string
}

// LocalTable returns the name of the MergeTree table under a cluster's
// Distributed table: table + "_local".
func LocalTable(table string) string { return table + "_local" }

// DDL returns the CREATE TABLE statement of the events table on one
// current server (Statements with no TableOptions); it also works on 18.16,
// slower (see TableOptions.ServerVersion). The statement:
//
//   - has typed columns for what every row has: ts (DateTime, seconds) and
//     ts_ms (the milliseconds), event_date (materialised from ts, the
//     partition key), service, host, run_id, seq (the row's number in its
//     run, from 1: a row a retry delivered twice has the same run_id and
//     seq), trace_id, span_id and parent_span_id (the event's place in its
//     run's trace, as lowercase hex: see metrics/runctx; parent_span_id is
//     empty but for a step's events), catalog, event (the wire name), code,
//     grp, level, ends_run (1 for an event its catalog declares the end of
//     a run: a reader that does not know the catalog learns it there, as
//     an event log's header tells it) and message (the rendered message
//     template);
//   - keeps the event's own fields in parallel arrays: num_keys/num_values
//     for numbers (integers, floats, booleans as 0 or 1, durations in the
//     unit their name ends in: milliseconds for _ms, seconds for _s and
//     _seconds) and str_keys/str_values for strings and labels (as
//     emitted, not bounded).
//
// A field is read back with indexOf:
//
//	SELECT run_id, num_values[indexOf(num_keys, 'duration_ms')] AS duration_ms
//	FROM milestone_events WHERE event = 'write.shard.completed'
//
// A newer server can add a TTL (TTL event_date + INTERVAL 90 DAY),
// compression codecs (CODEC(Delta, ZSTD) on ts and seq) and Map columns in
// place of the parallel arrays; 18.16 has none of them.
//
// A table created by a release before the trace columns lacks them; the
// sink then writes its rows without the ids and says so once in its log.
// Add them with:
//
//	ALTER TABLE milestone_events ADD COLUMN trace_id String AFTER seq,
//	    ADD COLUMN span_id String AFTER trace_id, ADD COLUMN parent_span_id String AFTER span_id
//
// and one created before ends_run lacks that one (its runs of a catalog
// the reader does not declare then read as never ended):
//
//	ALTER TABLE milestone_events ADD COLUMN ends_run UInt8 AFTER level
//
// On a cluster, run each ALTER on every node's local table and on the
// Distributed table.
func DDL(database, table string) string {
	stmts, _ := Statements(database, table, TableOptions{})
	return stmts[0]
}

// Statements returns the statements that create the events table: one
// CREATE TABLE on a single server, two with a cluster (the local table,
// then the Distributed table over it). Each is idempotent (IF NOT EXISTS).
// It fails on a name CheckIdentifier refuses or a version it cannot read.
func Statements(database, table string, o TableOptions) ([]string, error) {
	for _, name := range []string{database, table} {
		if err := CheckIdentifier(name); err != nil {
			return nil, err
		}
	}
	if o.Cluster != "" && !identRE.MatchString(o.Cluster) {
		return nil, fmt.Errorf("clickhouse: cluster %q is not a valid name: it must match %s", o.Cluster, identRE)
	}
	lowCardinality := true
	if o.ServerVersion != "" {
		major, err := majorVersion(o.ServerVersion)
		if err != nil {
			return nil, err
		}
		lowCardinality = major >= 19
	}
	mergeTree := "MergeTree\nPARTITION BY toYYYYMM(event_date)\nORDER BY (service, event, ts, run_id, seq)\n"
	if o.Cluster == "" {
		return []string{createTable(database, table, lowCardinality, "MATERIALIZED", mergeTree)}, nil
	}
	local := LocalTable(table)
	return []string{
		createTable(database, local, lowCardinality, "MATERIALIZED", mergeTree),
		// A MATERIALIZED column of a Distributed table is computed by it
		// and then refused by the shard (18.16: "Cannot insert column
		// event_date, because it is MATERIALIZED column"): the
		// Distributed table computes it on reading instead.
		createTable(database, table, lowCardinality, "ALIAS",
			"Distributed("+o.Cluster+", "+database+", "+local+", cityHash64(run_id))\n"),
	}, nil
}

// createTable returns the CREATE TABLE statement of the events table with
// engine; a computed column is declared with computed (MATERIALIZED or
// ALIAS).
func createTable(database, table string, lowCardinality bool, computed, engine string) string {
	var b strings.Builder
	b.WriteString(`CREATE TABLE IF NOT EXISTS ` + database + `.` + table + ` (` + "\n")
	for i, c := range columns {
		typ := c.typ
		if c.repetitive && lowCardinality {
			typ = "LowCardinality(" + typ + ")"
		}
		b.WriteString("    " + c.name + " " + typ)
		if c.materialized != "" {
			b.WriteString(" " + computed + " " + c.materialized)
		}
		if i < len(columns)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(") ENGINE = " + engine)
	return b.String()
}

// majorVersion returns the major number of a version such as "18.16.1".
func majorVersion(v string) (int, error) {
	head, _, _ := strings.Cut(strings.TrimSpace(v), ".")
	n, err := strconv.Atoi(head)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("clickhouse: server version %q: want the form SELECT version() prints, such as 18.16.1", v)
	}
	return n, nil
}

// CreateTable runs Statements on every server the options name (WithURL,
// or MILESTONE_CLICKHOUSE_URL), in turn: the table on each node of a
// cluster, or on one server. When o.ServerVersion is empty it asks each
// server for its version. It stops at the first error, naming the server.
func CreateTable(ctx context.Context, o TableOptions, opts ...Option) error {
	cfg := config{timeout: DefaultTimeout}
	if err := cfg.apply(opts); err != nil {
		return err
	}
	if cfg.client == nil {
		cfg.client = http.DefaultClient
	}
	c := &Collector{cfg: cfg}
	for _, srv := range cfg.servers() {
		so := o
		if so.ServerVersion == "" {
			v, err := c.query(ctx, srv, "SELECT version()")
			if err != nil {
				return fmt.Errorf("clickhouse: asking %s for its version: %w", srv.target, err)
			}
			so.ServerVersion = strings.TrimSpace(v)
		}
		stmts, err := Statements(cfg.database, cfg.table, so)
		if err != nil {
			return err
		}
		for _, stmt := range stmts {
			if _, err := c.query(ctx, srv, stmt); err != nil {
				return fmt.Errorf("clickhouse: creating the table on %s: %w", srv.target, err)
			}
		}
	}
	return nil
}
