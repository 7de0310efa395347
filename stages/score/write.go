package score

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/prefilter"
	"github.com/distillery/distillery/students/linear"
)

// pipe is one target's way through a run: texts to its model, rows to its
// table's writer.
type pipe struct {
	t     *target
	texts chan predict.Text
	rows  chan row
	// flying holds the rows of articles sent to the model, by id, until
	// the model's scores for them come back.
	flying sync.Map
	runID  string
}

// scoreAll reads the articles to score once and fans each out to the
// targets that need it: workers prefilter and render; each target's
// model predicts; each target's writer writes its rows. It returns one
// pending write per target, in targets' order.
func scoreAll(ctx context.Context, l *lake.Lake, sess *lake.Session, s *scan, targets []*target, opts Options) ([]*lake.Pending, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	fail := func(err error) {
		if err != nil {
			cancel(err)
		}
	}
	pipes := make([]*pipe, len(targets))
	for i, t := range targets {
		pipes[i] = &pipe{t: t, texts: make(chan predict.Text, 256), rows: make(chan row, 256), runID: l.RunID}
	}
	pendings := make([]*lake.Pending, len(targets))
	var writers, models sync.WaitGroup
	for i, p := range pipes {
		writers.Add(1)
		go func() {
			defer writers.Done()
			var err error
			pendings[i], err = l.WriteRows(ctx, p.t.out.For(p.t.pkg), func(rb *lake.RowBuilder) error { return p.write(ctx, rb) })
			fail(err)
			for range p.rows { // a writer that failed before its first row
			}
		}()
		models.Add(1)
		go func() {
			defer models.Done()
			popts := predict.Options{Filter: p.t.pkg, Workers: opts.Workers, BatchSize: opts.BatchSize, Device: opts.Device, Python: opts.Python, Quantize: p.t.quantize}
			fail(predict.Stream(ctx, l, p.t.model, popts, p.texts, p.emit))
		}()
	}
	articles := make(chan *article, 256)
	var workers sync.WaitGroup
	for range opts.Workers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			work(pipes, articles)
		}()
	}
	fail(read(ctx, sess, s, len(targets), articles, opts.Progress))
	close(articles)
	workers.Wait()
	for _, p := range pipes {
		close(p.texts)
	}
	models.Wait()
	for _, p := range pipes {
		// An article sent to the model that never came back (a predictor
		// that drops or renames rows) fails the run: committed, it would
		// be an article without a score that the next run skips.
		p.flying.Range(func(id, _ any) bool {
			fail(fmt.Errorf("%w: model %s returned no scores for article %v", ErrLost, p.t.model.ID, id))
			return false
		})
		close(p.rows)
	}
	writers.Wait()
	if err := context.Cause(ctx); err != nil {
		for _, p := range pendings {
			if p != nil {
				p.Discard()
			}
		}
		return nil, err
	}
	return pendings, nil
}

// read streams the rows of s's query to articles, each id once.
func read(ctx context.Context, sess *lake.Session, s *scan, n int, articles chan<- *article, progress func(done, total int64)) error {
	seen := map[string]bool{}
	var done int64
	return sess.Each(ctx, s.query, func(rows *sql.Rows) error {
		a := &article{needs: make([]bool, n)}
		dest := []any{&a.pre.ID, &a.pre.Title, &a.pre.Content, &a.pre.URL, &a.pre.Source, &a.pre.PublishedDate, &a.comp.Dataset}
		for i := range a.needs {
			dest = append(dest, &a.needs[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if seen[a.pre.ID] {
			return nil
		}
		seen[a.pre.ID] = true
		a.comp.Title, a.comp.Source, a.comp.PublishedDate, a.comp.Content = a.pre.Title, a.pre.Source, a.pre.PublishedDate, a.pre.Content
		select {
		case articles <- a:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		if done++; progress != nil && done%1024 == 0 {
			progress(done, s.todo)
		}
		return nil
	})
}

// work prefilters and renders articles for every pipe that needs them,
// with rules of its own (Rules are not safe for concurrent use).
func work(pipes []*pipe, articles <-chan *article) {
	rules := make([]*prefilter.Rules, len(pipes))
	firsts := make([]*linear.Predictor, len(pipes))
	for i, p := range pipes {
		rules[i] = p.t.rules.Clone()
		if p.t.first != nil {
			firsts[i] = p.t.first.linear.NewPredictor()
		}
	}
	for a := range articles {
		for i, p := range pipes {
			if !a.needs[i] {
				continue
			}
			text, r, passed := render(p.t, rules[i], a)
			if !passed {
				p.rows <- r
				continue
			}
			if firsts[i] != nil {
				if s, stop := p.t.first.stops(p.t.pkg, firsts[i], text.Text); stop {
					r.cascaded, r.scores = true, s
					p.rows <- r
					continue
				}
			}
			p.flying.Store(r.id, r)
			p.texts <- text
		}
	}
}

// emit is the model's answer for one article: its row goes to the writer.
func (p *pipe) emit(id string, scores []float64) {
	v, ok := p.flying.LoadAndDelete(id)
	if !ok {
		return
	}
	r := v.(row)
	r.scores = scores
	p.rows <- r
}

// write writes the pipe's rows until they end.
func (p *pipe) write(ctx context.Context, rb *lake.RowBuilder) error {
	now := time.Now()
	t := p.t
	for r := range p.rows {
		if rb.Stopped() || ctx.Err() != nil {
			continue // drain: the senders must not block
		}
		rb.String("id", r.id)
		rb.String("model", t.model.ID)
		rb.Bool("passed", r.passed)
		rb.String("reason", r.reason)
		rb.String("filter_sha256", t.pkg.SHA256)
		switch {
		case r.cascaded:
			predict.EmitScores(rb, t.pkg, t.first.model, t.first.cal, t.first.calName, r.scores)
			rb.String("text_sha256", r.sha)
			t.res.Scored++
			t.res.Cascaded++
		case r.passed:
			predict.EmitScores(rb, t.pkg, t.model, t.cal, t.calName, r.scores)
			rb.String("text_sha256", r.sha)
			t.res.Scored++
		default:
			t.res.Rejected++
		}
		if t.out == spec.Shadows {
			rb.String("production", t.production)
			rb.Time("shadowed_at", now)
		} else {
			switch {
			case r.cascaded:
				rb.String("stage", "cascade")
			case r.passed:
				rb.String("stage", "model")
			}
			if t.first != nil {
				rb.String("cascade_model", t.first.model.ID)
			}
			rb.Time("scored_at", now)
		}
		rb.String("run_id", p.runID)
		rb.EndRow()
	}
	return context.Cause(ctx)
}
