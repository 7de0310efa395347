package stagetest

import (
	"context"
	"fmt"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/agree"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/cv"
	"github.com/distillery/distillery/stages/drift"
	"github.com/distillery/distillery/stages/embed"
	"github.com/distillery/distillery/stages/evaluate"
	"github.com/distillery/distillery/stages/gate"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/prefilter"
	"github.com/distillery/distillery/stages/score"
	"github.com/distillery/distillery/stages/split"
	"github.com/distillery/distillery/stages/train"
)

// This file is the only one that knows each stage's Options and Result:
// when a stage's API changes, or a stage joins spec.Stages, this is the
// file to touch.

// Runner is how the suite drives one stage.
type Runner struct {
	// Run runs the stage with its defaults over e and returns the rows it
	// wrote to its output table. waiting (may be nil) gets the line the
	// stage prints while another run holds its lock.
	Run func(ctx context.Context, e *Env, waiting func(msg string)) (rowsOut int64, err error)
	// Hold takes, through the lake handle other, the lock a run of the
	// stage waits for, until release is called. Nil: the output table's
	// writer lock (lake.LockTable).
	Hold func(ctx context.Context, other *lake.Lake, e *Env) (release func() error, err error)
	// Refuses is the error the stage returns, instead of waiting, while
	// another run holds its lock (nil: it waits).
	Refuses error
	// NoWaitLine is set for a stage whose waiting callback carries no line
	// naming the table and its holder.
	NoWaitLine bool
	// Invalid runs the stage with its Options' zero value (no filter, no
	// paths): the stage must say so, never panic or write.
	Invalid func(ctx context.Context, l *lake.Lake) error
	// Articles are the ids of the template lake's articles, for a stage
	// that needs more than the suite's two (cross-validation deals folds).
	Articles []string
}

// runners has one entry per Spec of spec.Stages; TestRunners_EveryStage
// fails when one is missing.
var runners = map[string]Runner{
	spec.Ingest.Name: {
		Invalid: func(ctx context.Context, l *lake.Lake) error {
			_, err := ingest.Run(ctx, l, ingest.Options{})
			return err
		},

		Run: func(ctx context.Context, e *Env, waiting func(string)) (int64, error) {
			var w func()
			if waiting != nil {
				w = func() { waiting("") }
			}
			r, err := ingest.Run(ctx, e.Lake, ingest.Options{Paths: []string{e.Articles}, Waiting: w})
			return r.RowsOut, err
		},
		Hold: func(ctx context.Context, other *lake.Lake, e *Env) (func() error, error) {
			k, err := other.Lock(ctx, "ingest", nil)
			if err != nil {
				return nil, err
			}
			return func() error { k.Unlock(); return nil }, nil
		},
		NoWaitLine: true, // ingest.Options.Waiting is a func() (a lake lock, not a table lock)
	},
	spec.Prefilter.Name: {
		Invalid: func(ctx context.Context, l *lake.Lake) error {
			_, err := prefilter.Run(ctx, l, prefilter.Options{})
			return err
		},
		Run: func(ctx context.Context, e *Env, waiting func(string)) (int64, error) {
			r, err := prefilter.Run(ctx, e.Lake, prefilter.Options{Filter: e.Filter, Waiting: waiting})
			return r.RowsOut, err
		}},
	spec.Compress.Name: {
		Invalid: func(ctx context.Context, l *lake.Lake) error {
			_, err := compress.Run(ctx, l, compress.Options{})
			return err
		},
		Run: func(ctx context.Context, e *Env, waiting func(string)) (int64, error) {
			r, err := compress.Run(ctx, e.Lake, compress.Options{Filter: e.Filter, Waiting: waiting})
			return r.RowsOut, err
		}},
	spec.Label.Name: {
		Invalid: func(ctx context.Context, l *lake.Lake) error {
			_, err := label.Run(ctx, l, label.Options{})
			return err
		},

		Run: func(ctx context.Context, e *Env, waiting func(string)) (int64, error) {
			r, err := label.Run(ctx, e.Lake, label.Options{Filter: e.Filter, Oracle: oracle.NewKeywords(e.Filter)})
			return r.RowsOut, err
		},
		Hold:    holdLabel,
		Refuses: label.ErrBusy,
	},
	spec.Split.Name: {
		Invalid: func(ctx context.Context, l *lake.Lake) error {
			_, err := split.Run(ctx, l, split.Options{})
			return err
		},
		Run: func(ctx context.Context, e *Env, waiting func(string)) (int64, error) {
			r, err := split.Run(ctx, e.Lake, split.Options{Filter: e.Filter, Waiting: waiting})
			if err != nil || r.Mode == "unchanged" {
				return 0, err
			}
			return r.New, nil
		}},
	spec.Train.Name: {
		Invalid: func(ctx context.Context, l *lake.Lake) error {
			_, err := train.Run(ctx, l, train.Options{})
			return err
		},
		Run: func(ctx context.Context, e *Env, waiting func(string)) (int64, error) {
			if _, err := train.Run(ctx, e.Lake, train.Options{Filter: e.Filter, MinTrain: 1, Waiting: waiting}); err != nil {
				return 0, err
			}
			return 1, nil
		}},
	spec.Predict.Name: {
		Invalid: func(ctx context.Context, l *lake.Lake) error {
			_, err := predict.Run(ctx, l, predict.Options{Model: "m"})
			return err
		},
		Run: func(ctx context.Context, e *Env, waiting func(string)) (int64, error) {
			m, err := latestModel(ctx, e.Lake, e.Filter)
			if err != nil {
				return 0, err
			}
			r, err := predict.Run(ctx, e.Lake, predict.Options{Filter: e.Filter, Model: m, Split: "all", Waiting: waiting})
			if err != nil {
				return 0, err
			}
			return r.Predicted, nil
		}},
	spec.Eval.Name: {
		Invalid: func(ctx context.Context, l *lake.Lake) error {
			_, err := evaluate.Run(ctx, l, evaluate.Options{Model: "m"})
			return err
		},
		Run: func(ctx context.Context, e *Env, waiting func(string)) (int64, error) {
			m, err := latestModel(ctx, e.Lake, e.Filter)
			if err != nil {
				return 0, err
			}
			if _, err := evaluate.Run(ctx, e.Lake, evaluate.Options{Filter: e.Filter, Model: m, Split: evaluate.All, Waiting: waiting}); err != nil {
				return 0, err
			}
			return 1, nil
		}},
	spec.CV.Name: {
		Invalid: func(ctx context.Context, l *lake.Lake) error {
			_, err := cv.Run(ctx, l, cv.Options{})
			return err
		},
		Articles: []string{"a1", "a2", "a3", "a4", "a5", "a6"},
		Run: func(ctx context.Context, e *Env, waiting func(string)) (int64, error) {
			r, err := cv.Run(ctx, e.Lake, cv.Options{Filter: e.Filter, Folds: 3, Waiting: waiting})
			if err != nil {
				return 0, err
			}
			return r.RowsOut, nil
		}},
	spec.Embed.Name: {
		Invalid: func(ctx context.Context, l *lake.Lake) error {
			_, err := embed.Run(ctx, l, embed.Options{})
			return err
		},
		Run: func(ctx context.Context, e *Env, waiting func(string)) (int64, error) {
			r, err := embed.Run(ctx, e.Lake, embed.Options{Filter: e.Filter, Waiting: waiting})
			if err != nil {
				return 0, err
			}
			return r.RowsOut, nil
		}},
	spec.Agree.Name: {
		Invalid: func(ctx context.Context, l *lake.Lake) error {
			_, err := agree.Run(ctx, l, agree.Options{})
			return err
		},
		Run: func(ctx context.Context, e *Env, waiting func(string)) (int64, error) {
			r, err := agree.Run(ctx, e.Lake, agree.Options{Filter: e.Filter, Waiting: waiting})
			if err != nil {
				return 0, err
			}
			return r.RowsOut, nil
		}},
	// The template's two articles give val no positive to tune a threshold
	// on: the runner turns the cascade off, a row like any other
	// (TestCascade_MeasuredThenOn measures one on real data).
	spec.Cascade.Name: {
		Invalid: func(ctx context.Context, l *lake.Lake) error {
			_, err := score.Cascade(ctx, l, score.CascadeOptions{})
			return err
		},
		Run: func(ctx context.Context, e *Env, waiting func(string)) (int64, error) {
			r, err := score.Cascade(ctx, e.Lake, score.CascadeOptions{Filter: e.Filter, Disable: true, Waiting: waiting})
			if err != nil {
				return 0, err
			}
			return r.RowsOut, nil
		}},
	spec.Score.Name: {
		Invalid: func(ctx context.Context, l *lake.Lake) error {
			_, err := score.Run(ctx, l, score.Options{})
			return err
		},
		Run: func(ctx context.Context, e *Env, waiting func(string)) (int64, error) {
			r, err := score.Run(ctx, e.Lake, score.Options{Filters: []*filters.Filter{e.Filter}, Waiting: waiting})
			if err != nil {
				return 0, err
			}
			return r.RowsOut, nil
		}},
	spec.Shadow.Name: {
		Invalid: func(ctx context.Context, l *lake.Lake) error {
			_, err := score.Shadow(ctx, l, score.ShadowOptions{})
			return err
		},
		Run: func(ctx context.Context, e *Env, waiting func(string)) (int64, error) {
			cand, err := candidateModel(e)
			if err != nil {
				return 0, err
			}
			r, err := score.Shadow(ctx, e.Lake, score.ShadowOptions{Filter: e.Filter, Candidate: cand, Waiting: waiting})
			if err != nil {
				return 0, err
			}
			return r.RowsOut, nil
		}},
	spec.ModelTag.Name: {
		Invalid: func(ctx context.Context, l *lake.Lake) error {
			_, err := gate.Tag(ctx, l, gate.TagOptions{})
			return err
		},
		Run: func(ctx context.Context, e *Env, waiting func(string)) (int64, error) {
			m, err := latestModel(ctx, e.Lake, e.Filter)
			if err != nil {
				return 0, err
			}
			r, err := gate.Tag(ctx, e.Lake, gate.TagOptions{Filter: e.Filter, Tag: gate.Production, Model: m, Waiting: waiting})
			if err != nil {
				return 0, err
			}
			return r.RowsOut, nil
		}},
	spec.Gate.Name: {
		Invalid: func(ctx context.Context, l *lake.Lake) error {
			_, err := gate.Run(ctx, l, gate.Options{Candidate: "m"})
			return err
		},
		// Two articles leave no test split: the gate scores every labeled
		// article, against the baselines (the candidate is production).
		Run: func(ctx context.Context, e *Env, waiting func(string)) (int64, error) {
			m, err := latestModel(ctx, e.Lake, e.Filter)
			if err != nil {
				return 0, err
			}
			r, err := gate.Run(ctx, e.Lake, gate.Options{Filter: e.Filter, Candidate: m, Split: "all", Bootstrap: 100, Waiting: waiting})
			if err != nil {
				return 0, err
			}
			return r.RowsOut, nil
		}},
	spec.Drift.Name: {
		Invalid: func(ctx context.Context, l *lake.Lake) error {
			_, err := drift.Run(ctx, l, drift.Options{})
			return err
		},
		Run: func(ctx context.Context, e *Env, waiting func(string)) (int64, error) {
			r, err := drift.Run(ctx, e.Lake, drift.Options{Filter: e.Filter, Waiting: waiting})
			if err != nil {
				return 0, err
			}
			return r.RowsOut, nil
		}},
}

// latestModel is the newest model of the filter: what predict and eval
// score. With no model yet it says to train first, as the stages do.
func latestModel(ctx context.Context, l *lake.Lake, f *filters.Filter) (string, error) {
	s, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return "", err
	}
	defer s.Close()
	rel, snap, err := s.Relation(ctx, spec.Models.Ref(f))
	if err != nil || snap == nil {
		return "", spec.Need(spec.Models, f.Namespace(), "no model yet", err)
	}
	var id string
	err = s.QueryRow(ctx, "SELECT id FROM "+rel+" ORDER BY trained_at DESC, id DESC LIMIT 1", &id)
	return id, err
}

// holdLabel holds label's lock the way another labeling run does: it
// starts one whose oracle blocks until release.
func holdLabel(ctx context.Context, other *lake.Lake, e *Env) (func() error, error) {
	gate := make(chan struct{})
	called := make(chan struct{}, 1)
	orc := &gatedOracle{Oracle: oracle.NewKeywords(e.Filter), gate: gate, called: called}
	done := make(chan error, 1)
	go func() {
		_, err := label.Run(ctx, other, label.Options{Filter: e.Filter, Oracle: orc})
		done <- err
	}()
	select {
	case <-called: // the run holds its lock before it asks the oracle
	case err := <-done:
		return nil, fmt.Errorf("the holding label run ended before it asked the oracle: %v", err)
	}
	return func() error { close(gate); return <-done }, nil
}

// gatedOracle answers as Oracle does once gate is closed, and says on
// called that it was asked.
type gatedOracle struct {
	oracle.Oracle
	gate   chan struct{}
	called chan struct{}
}

func (g *gatedOracle) Call(ctx context.Context, req oracle.Request) (oracle.Response, error) {
	select {
	case g.called <- struct{}{}:
	default:
	}
	<-g.gate
	return g.Oracle.Call(ctx, req)
}

// candidateModel is the newest model that is not the production one (the
// model tag runner tagged the only model there was), trained by the
// shadow's first run when there is none. Training is no part of
// the run under test, so it ignores the run's context.
func candidateModel(e *Env) (string, error) {
	ctx := context.Background()
	s, err := e.Lake.Session(ctx, e.Filter.Namespace())
	if err != nil {
		return "", err
	}
	defer s.Close()
	rel, snap, err := s.Relation(ctx, spec.Models.Ref(e.Filter))
	if err != nil || snap == nil {
		return "", spec.Need(spec.Models, e.Filter.Namespace(), "no model yet", err)
	}
	prod := "''"
	if trel, tsnap, err := s.Relation(ctx, spec.ModelTags.Ref(e.Filter)); err == nil && tsnap != nil {
		prod = "(SELECT model FROM " + trel + " WHERE tag = 'production' ORDER BY tagged_at DESC LIMIT 1)"
	}
	var id string
	err = s.QueryRow(ctx, "SELECT id FROM "+rel+" WHERE id <> coalesce("+prod+", '') ORDER BY trained_at DESC, id DESC LIMIT 1", &id)
	if err == nil {
		return id, nil
	}
	no := false
	r, err := train.Run(ctx, e.Lake, train.Options{Filter: e.Filter, MinTrain: 1, Calibrate: &no})
	if err != nil {
		return "", err
	}
	return r.Model.ID, nil
}
