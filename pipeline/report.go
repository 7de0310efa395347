package pipeline

import (
	"context"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/inspect/report"
	"github.com/distillery/distillery/lake"
)

// reportName is the step after spec.Stages: the report reads every table
// and writes none.
const reportName = "report"

// reportStage writes the HTML report, every run (it is cheap, and the
// snapshot history it shows changes with every stage).
func reportStage(l *lake.Lake, c *Config, f *filters.Filter, res *Result) []stage {
	if c.Report.Skip {
		return nil
	}
	out := c.Report.Out
	if out == "" {
		out = "report.html"
	}
	path := c.Abs(out)
	return []stage{{name: reportName,
		run: func(ctx context.Context) (string, bool, error) {
			if _, err := report.Run(ctx, l, report.Options{Filter: f, Out: path, Split: evalSplit(c)}); err != nil {
				return "", false, err
			}
			res.Report = path
			return reportSummary(path), true, nil
		}}}
}
