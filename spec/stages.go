package spec

import (
	"context"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
)

// Spec is one writing stage: the tables it reads and the tables it writes.
// Name is its command (`distill <Name>`) and the distill.stage property of
// every snapshot it commits.
type Spec struct {
	Name string
	// Usage is the command that runs it, for "run X first" messages.
	Usage  string
	Reads  []*Table
	Writes []*Table
	// Optional lists the tables of Reads the stage does without when they
	// have no snapshot yet (split reads corpus.raw's content hashes when
	// there are any).
	Optional []*Table
	// EveryRun is set for a stage whose every run adds rows (a new model, a
	// new evaluation) rather than only the keys not yet written.
	EveryRun bool
	// OnDemand marks a stage only its own command runs (model tags, the
	// gate): a decision a person or CI takes, so the pipeline leaves it out.
	OnDemand bool
}

// The writing stages.
var (
	Ingest    = &Spec{Name: "ingest", Usage: "distill ingest PATH", Writes: []*Table{Raw, Rejects}}
	Prefilter = &Spec{Name: "prefilter", Usage: "distill prefilter --filter DIR",
		Reads: []*Table{Raw}, Writes: []*Table{Prefiltered}}
	Compress = &Spec{Name: "compress", Usage: "distill compress --filter DIR",
		Reads: []*Table{Raw, Prefiltered}, Writes: []*Table{Compressed, Boilerplate}}
	// Embed computes one vector per compressed text with an encoder (the
	// CPU default, or a sentence encoder through the trainer): what label
	// --select similar|diverse and train --backend embed read, so on demand.
	Embed = &Spec{Name: "embed", Usage: "distill embed --filter DIR",
		Reads: []*Table{Compressed}, Writes: []*Table{Embeddings}, OnDemand: true}
	Label = &Spec{Name: "label", Usage: "distill label --filter DIR (or `distill label import`)",
		Reads: []*Table{Compressed}, Writes: []*Table{Labels, OracleCalls}}
	Split = &Spec{Name: "split", Usage: "distill split --filter DIR",
		Reads: []*Table{Labels, Compressed, Raw}, Optional: []*Table{Compressed, Raw}, Writes: []*Table{Splits}}
	Train = &Spec{Name: "train", Usage: "distill train --filter DIR",
		Reads: []*Table{Labels, Splits, Compressed}, Writes: []*Table{Models}, EveryRun: true}
	Predict = &Spec{Name: "predict", Usage: "distill predict --filter DIR --model ID",
		Reads: []*Table{Models, Compressed, Splits}, Optional: []*Table{Splits}, Writes: []*Table{Predictions}}
	Eval = &Spec{Name: "eval", Usage: "distill eval --filter DIR --model ID",
		Reads: []*Table{Predictions, Labels, Splits, Models}, Optional: []*Table{Splits}, Writes: []*Table{Evaluations}, EveryRun: true}
	// CV writes out-of-fold predictions under a model id of its own, and
	// their evaluations: it holds predict's lock (its output's) while it
	// reads and writes predictions.
	CV = &Spec{Name: "cv", Usage: "distill cv --filter DIR",
		Reads: []*Table{Labels, Splits, Compressed}, Writes: []*Table{Predictions, Evaluations}, EveryRun: true}
	// Agree compares the oracles (and each oracle's repeats) that labeled
	// the filter's articles: a question a person asks, so on demand.
	Agree = &Spec{Name: "agree", Usage: "distill agree --filter DIR",
		Reads: []*Table{Labels}, Writes: []*Table{Agreements}, EveryRun: true, OnDemand: true}
	ModelTag = &Spec{Name: "model", Usage: "distill model tag production MODEL --filter DIR",
		Reads: []*Table{Models}, Writes: []*Table{ModelTags}, EveryRun: true, OnDemand: true}
	// Score runs every new article of corpus.raw through each filter's
	// production model: what the application downstream reads.
	Score = &Spec{Name: "score", Usage: "distill score --filter DIR (or --all)",
		Reads: []*Table{Raw, Models, ModelTags}, Writes: []*Table{Scores}, OnDemand: true}
	// Shadow scores production's articles with a candidate, apart.
	Shadow = &Spec{Name: "shadow", Usage: "distill shadow --filter DIR --candidate MODEL",
		Reads: []*Table{Raw, Scores, Models}, Writes: []*Table{Shadows}, OnDemand: true}
	// Cascade measures (and turns on or off) a cheap first stage for score.
	Cascade = &Spec{Name: "cascade", Usage: "distill cascade --filter DIR --first MODEL",
		Reads: []*Table{Predictions, Labels, Splits, Models}, Writes: []*Table{Cascades}, EveryRun: true, OnDemand: true}
	Gate = &Spec{Name: "gate", Usage: "distill gate --filter DIR --candidate MODEL",
		Reads: []*Table{Predictions, Labels, Splits, Models, ModelTags}, Optional: []*Table{ModelTags},
		Writes: []*Table{Gates}, EveryRun: true, OnDemand: true}
	// Drift compares the newest scores with the training labels and with
	// earlier windows: a question a person or CI asks, so on demand.
	Drift = &Spec{Name: "drift", Usage: "distill drift --filter DIR",
		Reads: []*Table{Scores, Labels, Splits, Raw}, Optional: []*Table{Labels, Splits},
		Writes: []*Table{Drifts}, EveryRun: true, OnDemand: true}
)

// Stages is every writing stage in pipeline order: each reads only what
// the ones before it write.
var Stages = []*Spec{Ingest, Prefilter, Compress, Embed, Label, Split, Train, Predict, Eval, CV,
	Agree, ModelTag, Gate, Cascade, Score, Shadow, Drift}

// Pipeline is the stages `distill run` runs: Stages less the OnDemand ones.
func Pipeline() []*Spec {
	var out []*Spec
	for _, s := range Stages {
		if !s.OnDemand {
			out = append(out, s)
		}
	}
	return out
}

// StageNamed is the stage called name, or nil.
func StageNamed(name string) *Spec {
	for _, s := range Stages {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// WriterOf is the stage that writes t (nil for a table no stage writes).
func WriterOf(t *Table) *Spec {
	for _, s := range Stages {
		for _, w := range s.Writes {
			if w == t {
				return s
			}
		}
	}
	return nil
}

// Output is the stage's main output: the first table it writes.
func (s *Spec) Output() *Table { return s.Writes[0] }

// Lock takes the writer's lock of the stage's output for filter f: a
// second run of the stage (another process) waits for it, told through
// waiting (nil: standard error) who holds it. Every writing stage holds it
// from reading what is done through its commit, so that two runs never
// write the same keys.
func (s *Spec) Lock(ctx context.Context, l *lake.Lake, f *filters.Filter, waiting func(msg string)) (lake.Unlocker, error) {
	return l.LockTable(ctx, s.Output().For(f), s.Name, waiting)
}
