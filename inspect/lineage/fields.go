package lineage

import (
	"fmt"
	"slices"
	"strings"

	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// shown are the columns lineage shows per table; other tables show every
// column but ids, run ids, timestamps and long text.
var shown = map[*spec.Table][]string{
	spec.Raw:         {"title", "source", "dataset", "url", "content_sha256", "file:line"},
	spec.Prefiltered: {"passed", "reason", "rule"},
	spec.Compressed:  {"text_sha256", "words", "truncated"},
	spec.Labels:      {"<dimensions>", "overall", "tier", "oracle", "model", "prompt_sha256", "cost_usd", "cached", "imported"},
	spec.OracleCalls: {"status", "error_class", "cost_usd", "cache_key"},
	spec.Splits:      {"split", "stratum", "dup_group"},
	spec.Predictions: {"model", "overall", "tier"},
	spec.Models:      {"id", "backend", "base_model", "train_rows", "val_mae", "baseline_val_mae", "artifact"},
}

// longText are columns too long to show in a row summary.
var longText = []string{"text", "content", "description", "extra", "response", "error", "title"}

func fields(n lake.TableName, r record) Fields {
	var out Fields
	want, ok := shown[registered(n)]
	if !ok {
		for i, c := range r.cols {
			if c == "id" || c == "run_id" || strings.HasSuffix(c, "_at") || strings.HasSuffix(c, "_evidence") || slices.Contains(longText, c) {
				continue
			}
			out = append(out, Field{c, r.vals[i]})
		}
		return out
	}
	for _, c := range want {
		switch c {
		case "<dimensions>":
			for i, d := range r.cols {
				if r.types[i] == "DOUBLE" && slices.Contains(r.cols, d+"_evidence") {
					out = append(out, Field{d, r.vals[i]})
				}
			}
		case "file:line":
			file, _ := r.get("file").(string)
			if line := r.get("line"); line != nil && file != "" {
				file = fmt.Sprintf("%s:%v", file, line)
			}
			out = append(out, Field{c, file})
		default:
			if i := slices.Index(r.cols, c); i >= 0 {
				out = append(out, Field{c, r.vals[i]})
			}
		}
	}
	return out
}
