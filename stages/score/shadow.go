package score

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/predict"
)

// ShadowOptions say which candidate runs beside production.
type ShadowOptions struct {
	Filter *filters.Filter `yaml:"-"`
	// Candidate is the model id (a row of <filter>.models) to shadow.
	Candidate string `yaml:"-"`
	// Show is how many of the articles that changed tier to list (default 20).
	Show int `yaml:"show"`
	// Workers, BatchSize, Device and Python as for Run.
	Workers   int    `yaml:"workers"`
	BatchSize int    `yaml:"batch_size"`
	Device    string `yaml:"device"`
	Python    string `yaml:"python"`
	Quantize  string `yaml:"quantize"`
	// Waiting, when set, gets the line saying another run holds the table.
	Waiting func(msg string) `yaml:"-"`
}

// Validate fills defaults and checks the options.
func (o *ShadowOptions) Validate() error {
	if o.Filter == nil || o.Candidate == "" {
		return fmt.Errorf("%w: shadow needs --filter DIR and --candidate MODEL", ErrOptions)
	}
	if o.Show <= 0 {
		o.Show = 20
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if err := predict.CheckQuantize(o.Quantize); err != nil {
		return fmt.Errorf("%w: %w", ErrOptions, err)
	}
	return nil
}

// ShadowResult is the candidate against production on the articles
// production scored: RowsIn the articles read, RowsOut the shadow rows
// written (the candidate's scores, never published in scores).
type ShadowResult struct {
	spec.Summary
	Production string `json:"production"`
	Candidate  string `json:"candidate"`
	// Articles is every article both have scored (this run's and earlier).
	Articles         int64     `json:"articles"`
	ProductionPassed int64     `json:"production_passed"`
	CandidatePassed  int64     `json:"candidate_passed"`
	TierFlips        int64     `json:"tier_flips"`
	UpperProduction  int64     `json:"upper_production"`
	UpperCandidate   int64     `json:"upper_candidate"`
	Dimensions       []DimDiff `json:"dimensions"`
	Flips            []Flip    `json:"flips"`
	Changed          []Changed `json:"changed"`
}

// DimDiff is how far the candidate's scores of one dimension (or overall)
// are from production's, over the articles both passed.
type DimDiff struct {
	Dimension string  `json:"dimension"`
	Articles  int64   `json:"articles"`
	MAE       float64 `json:"mae"`
	MeanDiff  float64 `json:"mean_diff"`
}

// Flip counts the articles production put in one tier and the candidate in
// another ('rejected': the prefilter's).
type Flip struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Articles int64  `json:"articles"`
}

// Changed is one article that changed tier.
type Changed struct {
	ID                string   `json:"id"`
	From              string   `json:"from"`
	To                string   `json:"to"`
	ProductionOverall *float64 `json:"production_overall"`
	CandidateOverall  *float64 `json:"candidate_overall"`
}

// Shadow scores, with the candidate and its own stored package, the
// articles production scored that the candidate has not, into
// <filter>.shadow, and compares the two on every article both scored.
func Shadow(ctx context.Context, l *lake.Lake, opts ShadowOptions) (*ShadowResult, error) {
	start := time.Now()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	f := opts.Filter
	res := &ShadowResult{Summary: spec.Start(spec.Shadow, l.RunID), Candidate: opts.Candidate, Dimensions: []DimDiff{}, Flips: []Flip{}, Changed: []Changed{}}
	res.Mode = "incremental"
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	prod, tagSnap, err := productionModel(ctx, sess, f)
	if err != nil {
		return nil, err
	}
	if prod == "" {
		return nil, spec.Need(spec.ModelTags, f.Namespace(), fmt.Sprintf("%s: no model of %s is tagged production: shadow runs a candidate beside it", ErrNoProduction, f.Namespace()), ErrNoProduction)
	}
	if prod == opts.Candidate {
		return nil, fmt.Errorf("%w: %s is the production model: shadow another (distill model list --filter DIR)", ErrOptions, prod)
	}
	res.Production = prod
	t, err := load(ctx, l, sess, f, f, opts.Candidate)
	if err != nil {
		return nil, fmt.Errorf("candidate: %w", err)
	}
	t.out, t.production = spec.Shadows, prod
	if err := quantizations([]*target{t}, opts.Quantize); err != nil {
		return nil, err
	}
	scoresRel, scoresSnap, err := sess.Relation(ctx, spec.Scores.Ref(f))
	if err != nil && !errors.Is(err, lake.ErrNoTable) {
		return nil, err
	}
	if scoresSnap == nil {
		return nil, spec.Need(spec.Scores, f.Namespace(), "", ErrNothingToScore)
	}
	t.inputs = append(t.inputs, *tagSnap, *scoresSnap)
	if err := spec.Shadows.Ensure(ctx, l, f); err != nil {
		return nil, err
	}
	lock, err := spec.Shadow.Lock(ctx, l, f, opts.Waiting)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	if err := shadowScore(ctx, l, sess, t, scoresRel, opts, res); err != nil {
		return nil, err
	}
	if err := compare(ctx, sess, f, scoresRel, opts.Show, res); err != nil {
		return nil, err
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// shadowScore scores what production scored and the candidate has not,
// and commits it.
func shadowScore(ctx context.Context, l *lake.Lake, sess *lake.Session, t *target, scoresRel string, opts ShadowOptions, res *ShadowResult) error {
	s, err := plan(ctx, sess, []*target{t}, true, "SELECT id FROM "+scoresRel)
	if err != nil {
		return err
	}
	res.RowsIn = s.todo
	o := Options{Workers: opts.Workers, BatchSize: opts.BatchSize, Device: opts.Device, Python: opts.Python, Quantize: opts.Quantize}
	pendings, err := scoreAll(ctx, l, sess, s, []*target{t}, o)
	if err != nil {
		return err
	}
	in := append([]lake.Snapshot{*s.raw}, t.inputs...)
	snap, err := pendings[0].Commit(ctx, lake.Commit{Stage: spec.Shadow.Name, Inputs: in, Filter: t.pkg.Ref(),
		Params: t.params(map[string]any{"candidate": t.model.ID, "production": t.production, "calibration": t.calName})})
	if err != nil {
		return err
	}
	res.RowsOut = pendings[0].Rows()
	res.SetInputs(dedupe(in)...)
	res.SetOutput(spec.Shadows.For(t.pkg), snap)
	return nil
}

// compare reads the candidate against production from the shadow table as
// committed.
func compare(ctx context.Context, sess *lake.Session, f *filters.Filter, scoresRel string, show int, res *ShadowResult) error {
	shadowRel, _, err := sess.Relation(ctx, spec.Shadows.Ref(f))
	if err != nil {
		return err
	}
	if err := sess.Input(ctx, "scores_input", scoresRel); err != nil {
		return err
	}
	if err := sess.Input(ctx, "shadow_input", shadowRel); err != nil {
		return err
	}
	if err := sess.SetVariables(ctx, lake.Vars{"dimensions": f.DimensionNames(), "lowest_tier": f.Tiers[len(f.Tiers)-1].Name}); err != nil {
		return err
	}
	p := lake.Params{"candidate": res.Candidate, "production": res.Production}
	if err := sess.TempTable(ctx, "shadow_both", "shadow/both", p); err != nil {
		return err
	}
	if err := sess.QueryRowFile(ctx, "shadow/tiers", nil, &res.Articles, &res.ProductionPassed, &res.CandidatePassed, &res.TierFlips, &res.UpperProduction, &res.UpperCandidate); err != nil {
		return err
	}
	err = sess.EachFile(ctx, "shadow/dimensions", p, func(rows *sql.Rows) error {
		var d DimDiff
		var mae, diff sql.NullFloat64
		if err := rows.Scan(&d.Dimension, &d.Articles, &mae, &diff); err != nil {
			return err
		}
		d.MAE, d.MeanDiff = mae.Float64, diff.Float64
		res.Dimensions = append(res.Dimensions, d)
		return nil
	})
	if err != nil {
		return err
	}
	err = sess.EachFile(ctx, "shadow/flips", nil, func(rows *sql.Rows) error {
		var fl Flip
		if err := rows.Scan(&fl.From, &fl.To, &fl.Articles); err != nil {
			return err
		}
		res.Flips = append(res.Flips, fl)
		return nil
	})
	if err != nil {
		return err
	}
	return sess.EachFile(ctx, "shadow/changed", lake.Params{"limit": show}, func(rows *sql.Rows) error {
		var c Changed
		var po, co sql.NullFloat64
		if err := rows.Scan(&c.ID, &c.From, &c.To, &po, &co); err != nil {
			return err
		}
		if po.Valid {
			c.ProductionOverall = &po.Float64
		}
		if co.Valid {
			c.CandidateOverall = &co.Float64
		}
		res.Changed = append(res.Changed, c)
		return nil
	})
}
