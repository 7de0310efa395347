package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/inspect/report"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// reportName is the step after spec.Stages: the report reads every table
// and writes none.
const reportName = "report"

// reportStage writes the HTML report, every run (it is cheap, and the
// snapshot history it shows changes with every stage).
func reportStage(l *lake.Lake, c *Config, f *filters.Filter, res *Result) stage {
	out := c.Report.Out
	if out == "" {
		out = "report.html"
	}
	path := c.Abs(out)
	st := stage{name: reportName, from: []string{"every table"}, to: []string{path},
		run: func(ctx context.Context) (spec.Result, bool, error) {
			start := time.Now()
			r, err := report.Run(ctx, l, report.Options{Filter: f, Out: path, Split: evalSplit(c)})
			if err != nil {
				return nil, false, err
			}
			res.Report = path
			return &reportDone{Summary: spec.Summary{Stage: reportName, Seconds: time.Since(start).Seconds()}, Report: r}, true, nil
		}}
	if c.Report.Skip {
		st.skip = "report.skip"
	}
	return st
}

// reportDone is the report step's result: a page, not a table.
type reportDone struct {
	spec.Summary
	Report *report.Result `json:"report"`
}

// Details says where the page is.
func (d *reportDone) Details() []string {
	return []string{fmt.Sprintf("%s, %s -> %s", human.Plural(int64(d.Report.Charts), "chart"), human.Plural(int64(d.Report.Bytes), "byte"), d.Report.Out)}
}

// Headline says where the page is.
func (d *reportDone) Headline() string { return "-> " + d.Report.Out }
