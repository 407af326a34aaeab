// Command ecsgen generates jsonlog's table of Elastic Common Schema fields
// from the ECS field reference (fields.csv, kept in the repository in
// third_party/ecs with its source and licence): the fields a document can write, grouped by first segment
// and mapping class, one line per group, which is what jsonlog needs to keep
// an application field from breaking an ECS index template (jsonlog derives
// the dotted prefixes, all objects, when it loads the table). Multi-fields
// (user.name.text) are left out: a document cannot write them.
//
// Run it through go generate in jsonlog:
//
//	go generate ./jsonlog
//
// The staleness test in this package fails when the checked-in table
// differs from what the reference generates.
package main
