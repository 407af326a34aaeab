// Command ecsgen generates jsonlog's table of Elastic Common Schema fields
// from the ECS field reference (fields.csv, kept beside the repository in
// ../shared/ecs): every field's mapping class, and every dotted prefix of a
// field as an object, which is what jsonlog needs to keep an application
// field from breaking an ECS index template.
//
// Run it through go generate in jsonlog:
//
//	go generate ./jsonlog
//
// The staleness test in this package fails when the checked-in table
// differs from what the reference generates.
package main
