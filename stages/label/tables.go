package label

import (
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// LabelsTable is <filter>.labels: one row per label (an article may have
// several: relabels, other oracles, imports).
func LabelsTable(f *filters.Filter) lake.TableName {
	return spec.Labels.For(f)
}

// CallsTable is <filter>.oracle_calls: every response, success or failure.
func CallsTable(f *filters.Filter) lake.TableName {
	return spec.OracleCalls.For(f)
}

// LabelsSchema has one score and one evidence column per dimension.
func LabelsSchema(f *filters.Filter) lake.Schema { return spec.Labels.Schema(f) }

// CallsSchema is the schema of <filter>.oracle_calls.
var CallsSchema = spec.OracleCalls.Schema(nil)
