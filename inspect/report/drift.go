package report

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// SecDrift is the section of the latest drift run.
const SecDrift = "drift"

// DriftRow is one comparison of the latest drift run: the newest window
// against the training labels or the earlier windows, on one dimension.
type DriftRow struct {
	Baseline         string   `json:"baseline"`
	Dimension        string   `json:"dimension"`
	RecentArticles   int64    `json:"recent_articles"`
	BaselineArticles int64    `json:"baseline_articles"`
	PSI              *float64 `json:"psi"`
	RecentValue      *float64 `json:"recent_value"`
	BaselineValue    *float64 `json:"baseline_value"`
	Change           *float64 `json:"change"`
	Flagged          bool     `json:"flagged"`
	Note             string   `json:"note,omitempty"`
}

// drift reads the latest drift run (sql/report/drift.sql).
func (d *Data) drift(ctx context.Context, sess *lake.Session, f *filters.Filter) error {
	rel, snap, err := sess.Relation(ctx, spec.Drifts.Ref(f))
	if err != nil && !errors.Is(err, lake.ErrNoTable) {
		return err
	}
	if snap == nil {
		d.Missing[SecDrift] = "No drift measured yet: once `distill score` has scored new articles, run `distill drift --filter DIR`."
		return nil
	}
	d.Drifts = snap.Ref().String()
	if err := sess.Input(ctx, "drift_input", rel); err != nil {
		return err
	}
	var at sql.NullTime
	err = curate.Each(ctx, sess, "report/drift", func(r *sql.Rows) error {
		var row DriftRow
		var f [4]sql.NullFloat64
		if err := r.Scan(&d.DriftWindow, &d.DriftBy, &row.Baseline, &row.Dimension, &row.RecentArticles, &row.BaselineArticles,
			&f[0], &f[1], &f[2], &f[3], &row.Flagged, &row.Note, &d.DriftThreshold, &at); err != nil {
			return err
		}
		row.PSI, row.RecentValue, row.BaselineValue, row.Change = curate.Nullable(f[0]), curate.Nullable(f[1]), curate.Nullable(f[2]), curate.Nullable(f[3])
		d.Drift = append(d.Drift, row)
		return nil
	})
	if err == nil && len(d.Drift) == 0 {
		d.Missing[SecDrift] = "The latest drift run had no baseline to compare with (no training articles, no earlier window)."
	}
	if err == nil && at.Valid {
		d.DriftNotes = append(d.DriftNotes, fmt.Sprintf("Newest window %s (by %s), measured %s; a PSI above %g is flagged (0.1 to %g reads as moderate); a side with too few articles is shown, never flagged.",
			d.DriftWindow, d.DriftBy, at.Time.UTC().Format("2006-01-02 15:04 UTC"), d.DriftThreshold, d.DriftThreshold))
	}
	return err
}

// driftChart draws, per dimension, the PSI of the newest window against the
// training labels and against the earlier windows, with the threshold as a
// line; its table holds the means and the pass rate too.
func driftChart(d *Data) *Chart {
	var bases, dims []string
	for _, r := range d.Drift {
		if r.PSI == nil {
			continue
		}
		if !slices.Contains(bases, r.Baseline) {
			bases = append(bases, r.Baseline)
		}
		if !slices.Contains(dims, r.Dimension) {
			dims = append(dims, r.Dimension)
		}
	}
	c := &Chart{ID: "chart-drift", Title: "Drift of the newest scores",
		Subtitle: fmt.Sprintf("population stability index of window %s against each baseline, from %s; the line is the threshold, flagged bars are marked", d.DriftWindow, d.Drifts),
		Desc:     "Horizontal bars: for each dimension, the overall score and the tier, the population stability index of the newest window of scores against the training articles (the student's own scores of them, or the oracle's labels: distill drift says which) and against the earlier windows; a vertical line marks the threshold above which a shift may be flagged (a row is flagged only above chance too: see distill drift).",
		W:        960}
	colours := map[string]string{}
	for i, b := range bases {
		colours[b] = colour(palette, i)
		c.Legend = append(c.Legend, Swatch{Color: colours[b], Name: "against " + b})
	}
	names := make([]string, len(dims))
	for i, dim := range dims {
		names[i] = dimensionLabel(dim)
	}
	barH := 16.0
	group := barH*float64(max(len(bases), 1)) + 16
	fr := frame{left: leftMargin(names, 100, 220), top: 10, right: 120, bottom: 44}
	c.H = fr.top + fr.bottom + group*float64(max(len(dims), 1))
	most := d.DriftThreshold
	for _, r := range d.Drift {
		if r.PSI != nil {
			most = math.Max(most, *r.PSI)
		}
	}
	x := xAxis(c, fr, most, false, "population stability index", tickText)
	for i, name := range names {
		rowLabel(c, fr, fr.top+group*float64(i)+group/2, name)
	}
	c.Axes = append(c.Axes, Line{X1: x(d.DriftThreshold), Y1: fr.top, X2: x(d.DriftThreshold), Y2: c.H - fr.bottom, Class: "mean"})
	c.Table = &Table{Head: []string{"against", "dimension", "articles (window / baseline)", "PSI", "window", "baseline", "change", "flag"}}
	for _, r := range d.Drift {
		flag := ""
		switch {
		case r.Note != "":
			flag = "not judged: " + r.Note
		case r.Flagged:
			flag = "flagged"
		}
		c.Table.Rows = append(c.Table.Rows, []string{r.Baseline, dimensionLabel(r.Dimension), fmt.Sprintf("%s / %s", fmtInt(r.RecentArticles), fmtInt(r.BaselineArticles)),
			fmtNum(r.PSI, 3), fmtNum(r.RecentValue, 2), fmtNum(r.BaselineValue, 2), fmtNum(r.Change, 2), flag})
		if r.PSI == nil {
			continue
		}
		y := fr.top + group*float64(slices.Index(dims, r.Dimension)) + 8 + barH*float64(slices.Index(bases, r.Baseline))
		h := barH - 2
		c.Marks = append(c.Marks, Mark{Kind: "rect", Class: "bar", X: x(0), Y: y, W: x(*r.PSI) - x(0), H: h, Fill: colours[r.Baseline], Value: *r.PSI,
			Title: fmt.Sprintf("%s against %s: PSI %.3f on %s / %s articles %s", dimensionLabel(r.Dimension), r.Baseline, *r.PSI, fmtInt(r.RecentArticles), fmtInt(r.BaselineArticles), flag)})
		text := fmt.Sprintf("%.2f", *r.PSI)
		if r.Flagged {
			text += " flagged"
		}
		c.Labels = append(c.Labels, Label{X: x(*r.PSI) + 5, Y: y + h/2 + 4, Text: text, Anchor: "start", Class: "value"})
	}
	return c
}
