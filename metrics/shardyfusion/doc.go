// Package shardyfusion is milestone's built-in catalog: the documented
// lifecycle of a sharded key-value writer and its readers (a write, its
// sharding and shard phases, batches, retries, the manifest and CURRENT
// pointer, reader lookups and refreshes, storage retries, rate limiting).
//
// Importing the package declares the catalog, exactly as an application's
// own catalog is declared (see package metrics): every backend built after
// the import carries it. Its namespace gives the Prometheus prefix
// "shardyfusion_" and the OTel instrument names "shardyfusion.*"; the events'
// wire names are the lifecycle's dotted names ("write.shard.completed").
// The page docs/events.md lists every event, field and instrument; it is
// generated from these declarations (go generate ./...).
//
//	ctx, run := metrics.StartRun(ctx, c)
//	metrics.Emit(ctx, run, shardyfusion.WriteStarted{})
//	sctx, step := run.Step(ctx)
//	rows, err := writeShard(sctx, 3)
//	metrics.Done(sctx, step, shardyfusion.ShardWriteCompleted{DBID: 3, Rows: rows}, err)
//
// examples/shardkv is a real sharded writer and reader that emits every
// event of the catalog.
package shardyfusion
