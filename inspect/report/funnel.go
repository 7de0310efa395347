package report

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// funnelInputs are the tables sql/report/funnel.sql reads, one a step in
// its order, each with the input name the file reads it as and, for a
// table with no snapshot yet, an empty input of the columns the file
// reads. labels_input is Collect's own: the labels the other sections read.
var funnelInputs = []struct {
	table        *spec.Table
	input, empty string
}{
	{spec.Raw, "raw_input", "SELECT NULL::VARCHAR AS id WHERE false"},
	{spec.Prefiltered, "prefiltered_input", "SELECT NULL::VARCHAR AS id, NULL::BOOLEAN AS passed, NULL::VARCHAR AS reason, NULL::VARCHAR AS rule WHERE false"},
	{spec.Compressed, "compressed_input", "SELECT NULL::VARCHAR AS id WHERE false"},
	{spec.Labels, "labels_input", ""},
	{spec.Splits, "splits_input", "SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS split WHERE false"},
}

// funnel reads how many articles reach each step from corpus.raw to a
// split, and why the prefilter blocked the others. It reads labels_input,
// so it runs after the labels are prepared. A table with no snapshot yet
// ends the funnel: the steps after it would count nothing, which reads as
// if every article were lost there.
func (d *Data) funnel(ctx context.Context, sess *lake.Session, f *filters.Filter) error {
	steps := len(funnelInputs)
	for i, in := range funnelInputs {
		read := d.Labels
		if in.table != spec.Labels {
			rel, snap, err := sess.Relation(ctx, in.table.Ref(f))
			if err != nil && !errors.Is(err, lake.ErrNoTable) {
				return err
			}
			read = ""
			if snap != nil {
				read = snap.Ref().String()
				err = sess.Input(ctx, in.input, rel)
			} else {
				_, err = sess.Exec(ctx, "CREATE OR REPLACE TEMP VIEW "+in.input+" AS "+in.empty)
			}
			if err != nil {
				return fmt.Errorf("funnel input %s: %w", in.input, err)
			}
		}
		if read != "" {
			d.FunnelRead = append(d.FunnelRead, read)
			continue
		}
		steps = min(steps, i)
		if i > 0 {
			d.FunnelNotes = append(d.FunnelNotes, spec.Need(in.table, f.Namespace(), "", nil).Error()+".")
		}
	}
	noArticles := spec.Need(spec.Raw, spec.CorpusNamespace, "No articles in the lake yet", nil).Error() + "."
	if steps == 0 {
		d.Missing[SecFunnel] = noArticles
		return nil
	}
	if err := curate.Each(ctx, sess, "report/funnel", func(r *sql.Rows) error {
		var s FunnelStep
		var pos int
		err := r.Scan(&pos, &s.Step, &s.Articles, &s.ShareOfPrevious, &s.ShareOfRaw)
		if pos <= steps {
			d.Funnel = append(d.Funnel, s)
		}
		return err
	}); err != nil {
		return err
	}
	if len(d.Funnel) == 0 || d.Funnel[0].Articles == 0 {
		d.Funnel = nil
		d.Missing[SecFunnel] = noArticles
		return nil
	}
	if steps < 2 { // no prefilter decisions: nothing was blocked
		return nil
	}
	return curate.Each(ctx, sess, "report/prefilter_blocks", func(r *sql.Rows) error {
		var b BlockedRule
		err := r.Scan(&b.Rule, &b.Articles, &b.ShareOfRaw, &b.Reasons, &b.TopReason, &b.TopReasonArticles)
		d.Blocked = append(d.Blocked, b)
		return err
	})
}

// maxBlockedBars caps the blocking rules drawn; the Data table lists all.
const maxBlockedBars = 8

// funnelChart is one horizontal bar per step, then, on the same scale, one
// per rule that blocked articles at the prefilter.
func funnelChart(d *Data) *Chart {
	sub := "articles at each step, each counted among the step before; from " + strings.Join(d.FunnelRead, ", ")
	blocked := d.Blocked
	if len(blocked) > maxBlockedBars {
		sub += fmt.Sprintf("; the %d rules that blocked most shown (all under Data)", maxBlockedBars)
		blocked = blocked[:maxBlockedBars]
	}
	c := &Chart{ID: "chart-funnel", Title: "From ingest to a split", Subtitle: sub,
		Desc: "Horizontal bars: the articles at each step of the pipeline, from the raw corpus through the prefilter, compression and labeling to a split, each bar with the share of the step before it kept; below them, the articles the prefilter blocked, one bar per rule.",
		W:    960}
	var names []string
	var max int64
	for _, s := range d.Funnel {
		names = append(names, s.Step)
		max = int64(math.Max(float64(max), float64(s.Articles)))
	}
	for _, b := range blocked {
		names = append(names, "blocked by "+b.Rule)
		max = int64(math.Max(float64(max), float64(b.Articles)))
	}
	const row, gap = 36.0, 18.0
	f := frame{left: leftMargin(names, 90, 260), top: 10, right: 170, bottom: 44}
	c.H = f.top + f.bottom + row*float64(len(names))
	if len(blocked) > 0 {
		c.H += gap
	}
	x := xAxis(c, f, float64(max), true, "articles", tickText)
	c.Table = &Table{Head: []string{"step", "articles", "kept of the step before", "share of raw", "reasons", "most common reason"}}
	y := f.top
	bar := func(name, class, fill string, n int64, value, title string) {
		top, h := y+7, row-14
		c.Marks = append(c.Marks, Mark{Kind: "rect", Class: class, X: x(0), Y: top, W: x(float64(n)) - x(0), H: h,
			Fill: fill, Value: float64(n), Title: title})
		rowLabel(c, f, top+h/2, name)
		c.Labels = append(c.Labels, Label{X: x(float64(n)) + 6, Y: top + h/2 + 4, Text: value, Anchor: "start", Class: "value"})
		y += row
	}
	for i, s := range d.Funnel {
		value, title := fmtInt(s.Articles), fmt.Sprintf("%s: %s", s.Step, counted(s.Articles, "article"))
		if i > 0 {
			value += " · kept " + pctOrDash(s.ShareOfPrevious)
			title += fmt.Sprintf(", %s of the step before, %s of raw", pctOrDash(s.ShareOfPrevious), pctOrDash(s.ShareOfRaw))
		}
		bar(s.Step, "bar", palette[0], s.Articles, value, title)
		c.Table.Rows = append(c.Table.Rows, []string{s.Step, fmtInt(s.Articles), pctOrDash(s.ShareOfPrevious), pctOrDash(s.ShareOfRaw), "–", "–"})
	}
	if len(blocked) > 0 {
		c.Axes = append(c.Axes, Line{X1: 8, Y1: y + gap/2, X2: c.W - 8, Y2: y + gap/2, Class: "sep"})
		y += gap
	}
	for _, b := range blocked {
		top := fmt.Sprintf("%s (%s)", b.TopReason, fmtInt(b.TopReasonArticles))
		bar("blocked by "+b.Rule, "blocked", palette[5], b.Articles, fmtInt(b.Articles)+" · "+fmtPct(b.ShareOfRaw)+" of raw",
			fmt.Sprintf("blocked by %s: %s, %s of raw; %s, most often %s", b.Rule, counted(b.Articles, "article"), fmtPct(b.ShareOfRaw),
				human.Plural(b.Reasons, "reason"), top))
	}
	for _, b := range d.Blocked {
		c.Table.Rows = append(c.Table.Rows, []string{"blocked by " + b.Rule, fmtInt(b.Articles), "–", fmtPct(b.ShareOfRaw),
			fmtInt(b.Reasons), fmt.Sprintf("%s (%s)", b.TopReason, fmtInt(b.TopReasonArticles))})
	}
	if len(blocked) > 0 {
		c.Legend = []Swatch{{Color: palette[0], Name: "articles at the step"}, {Color: palette[5], Name: "blocked by a prefilter rule"}}
	}
	return c
}

func pctOrDash(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmtPct(*p)
}
