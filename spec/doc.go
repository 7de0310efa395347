// Package spec is the pipeline's shape, written once: every table distill
// writes (Tables: name, namespace kind, schema, key columns) and every
// writing stage (Stages: what it reads and what it writes), in pipeline
// order, plus the contract every stage's result shares (Summary) and the
// error a stage returns when an input is not there yet (NeedError).
//
// Everything that lists tables or stages iterates Tables and Stages: the
// pipeline's plan, the stage conformance suite, lineage's table order, the
// run log and the report. Adding a stage is one package under stages/ plus
// one Spec here; TestSpec_* then says what else to touch. The package sits
// below every stage: it imports only lake, filters and internal/human.
package spec
