package label

import (
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
)

// LabelsTable is <filter>.labels: one row per label (an article may have
// several: relabels, other oracles, imports).
func LabelsTable(f *filters.Filter) lake.TableName {
	return lake.TableName{Namespace: f.Namespace(), Table: "labels"}
}

// CallsTable is <filter>.oracle_calls: every response, success or failure.
func CallsTable(f *filters.Filter) lake.TableName {
	return lake.TableName{Namespace: f.Namespace(), Table: "oracle_calls"}
}

// LabelsSchema has one score and one evidence column per dimension.
func LabelsSchema(f *filters.Filter) lake.Schema {
	s := lake.Schema{{Name: "id", Type: lake.String, Required: true, Distinct: true}}
	for _, d := range f.Dimensions {
		s = append(s, lake.Column{Name: d.Name, Type: lake.Double, Doc: d.Description})
	}
	for _, d := range f.Dimensions {
		s = append(s, lake.Column{Name: d.Name + "_evidence", Type: lake.String, Distinct: true})
	}
	return append(s, lake.Schema{
		{Name: "content_type", Type: lake.String},
		{Name: "overall", Type: lake.Double, Doc: "weighted mean after gatekeepers, computed from filter.yaml"},
		{Name: "gatekeeper_applied", Type: lake.Bool},
		{Name: "tier", Type: lake.String, Doc: "computed from filter.yaml, never taken from the oracle"},
		{Name: "oracle", Type: lake.String, Doc: "gemini, openai, keywords or import"},
		{Name: "model", Type: lake.String},
		{Name: "prompt_sha256", Type: lake.String, Distinct: true},
		{Name: "input_sha256", Type: lake.String, Distinct: true, Doc: "text_sha256 of the compressed text the oracle saw"},
		{Name: "cache_key", Type: lake.String, Distinct: true},
		{Name: "tokens_in", Type: lake.Long},
		{Name: "tokens_out", Type: lake.Long},
		{Name: "cost_usd", Type: lake.Double},
		{Name: "latency_ms", Type: lake.Long},
		{Name: "attempts", Type: lake.Int},
		{Name: "cached", Type: lake.Bool, Doc: "answer taken from oracle_calls: no call, no cost"},
		{Name: "imported", Type: lake.Bool, Doc: "made elsewhere: its oracle saw another rendering of the text"},
		{Name: "repaired", Type: lake.String, Doc: "what was fixed to parse the answer (code_fence, trailing_comma, …)"},
		{Name: "filter_sha256", Type: lake.String},
		{Name: "labeled_at", Type: lake.TimestampTz},
		{Name: "run_id", Type: lake.String},
	}...)
}

// CallsSchema is the schema of <filter>.oracle_calls.
var CallsSchema = lake.Schema{
	{Name: "cache_key", Type: lake.String, Required: true, Distinct: true, Doc: "sha256 of oracle kind, model, rendered prompt, schema, temperature, max tokens"},
	{Name: "id", Type: lake.String, Distinct: true},
	{Name: "oracle", Type: lake.String},
	{Name: "model", Type: lake.String},
	{Name: "prompt_sha256", Type: lake.String, Distinct: true},
	{Name: "status", Type: lake.String, Required: true, Doc: "ok or failed"},
	{Name: "error_class", Type: lake.String},
	{Name: "http_status", Type: lake.Int},
	{Name: "error", Type: lake.String},
	{Name: "response", Type: lake.String, Distinct: true, Doc: "the raw response text"},
	{Name: "tokens_in", Type: lake.Long},
	{Name: "tokens_out", Type: lake.Long},
	{Name: "cost_usd", Type: lake.Double},
	{Name: "latency_ms", Type: lake.Long},
	{Name: "attempt", Type: lake.Int},
	{Name: "temperature", Type: lake.Double},
	{Name: "max_tokens", Type: lake.Int},
	{Name: "called_at", Type: lake.TimestampTz},
	{Name: "run_id", Type: lake.String},
}
