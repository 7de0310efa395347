package pipeline

import (
	"fmt"

	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/evaluate"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/prefilter"
	"github.com/distillery/distillery/stages/split"
	"github.com/distillery/distillery/stages/train"
)

// The line `distill run` prints for each stage it ran, and state.json
// keeps, one function per stage: the only place that reads the stages'
// Results to say what they did.

func ingestSummary(rows, rejected, dups int64, out lake.TableName) string {
	return fmt.Sprintf("%d new articles, %d rejected, %d duplicates -> %s", rows, rejected, dups, out)
}

func prefilterSummary(r prefilter.Result, out lake.TableName) string {
	return fmt.Sprintf("%d decided, %d passed -> %s@%d", r.RowsOut, r.Passed, out, r.SnapshotSeq)
}

func compressSummary(r compress.Result, out lake.TableName) string {
	return fmt.Sprintf("%d rendered (%s) -> %s@%d", r.RowsOut, r.Mode, out, r.SnapshotSeq)
}

func labelSummary(r label.Result, out lake.TableName) string {
	s := fmt.Sprintf("%d labeled by %s (%d from the cache, %d sharing a prompt, %d failed), $%.4f -> %s", r.RowsOut, r.Model, r.Cached, r.Shared, r.Failed, r.Cost, out)
	if r.Stopped != "" {
		s += "; stopped: " + r.Stopped
	}
	return s
}

func splitSummary(r *split.Result, out lake.TableName) string {
	return fmt.Sprintf("%s: train %d, val %d, test %d, %d duplicate groups -> %s@%d", r.Mode, r.Counts["train"], r.Counts["val"], r.Counts["test"], r.Groups, out, r.SnapshotSeq)
}

func trainSummary(r *train.Result, out lake.TableName) string {
	return fmt.Sprintf("%s on %d examples: validation MAE %.3f (training mean %.3f) -> %s", r.Model.ID, r.Model.TrainRows, r.Model.ValMAE, r.Model.BaseMAE, out)
}

func predictSummary(r *predict.Result, splitName string, out lake.TableName) string {
	return fmt.Sprintf("%d articles (%s) with %s, %.0f/s -> %s@%d", r.Predicted, splitName, r.Model, r.ArticlesPerS, out, r.SnapshotSeq)
}

func evalSummary(r *evaluate.Result, splitName string) string {
	s := fmt.Sprintf("%d articles of %s", r.InScope, splitName)
	if len(r.Models) > 0 {
		m := r.Models[0]
		s += fmt.Sprintf(": MAE %.3f over every dimension", m.All.MAE)
		if m.All.BaselineMAE != nil {
			s += fmt.Sprintf(" (training mean %.3f)", *m.All.BaselineMAE)
		}
		if m.Tiers.Accuracy != nil {
			s += fmt.Sprintf(", tier accuracy %.0f%%", 100**m.Tiers.Accuracy)
		}
	}
	return s + " -> " + r.Table
}

func reportSummary(path string) string { return fmt.Sprintf("-> %s", path) }
