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

// SecAgreement is the section of the oracles' agreement.
const SecAgreement = "agreement"

// AgreementRow is one dimension of one comparison of the latest agree run:
// two oracles (kind pair, offsets B - A) or one oracle's repeats (self).
type AgreementRow = curate.Agreement

// agreement reads the latest agree run's figures (sql/report/agreements.sql)
// and the noise floor of the labels read (curate.NoiseFloor).
func (d *Data) agreement(ctx context.Context, l *lake.Lake, sess *lake.Session, f *filters.Filter, labels *lake.Snapshot) error {
	if labels != nil {
		var err error
		if d.NoiseFloor, err = curate.NoiseFloor(ctx, l, sess, f, labels.Ref(), d.Combine); err != nil {
			return err
		}
	}
	rel, snap, err := sess.Relation(ctx, spec.Agreements.Ref(f))
	if err != nil && !errors.Is(err, lake.ErrNoTable) {
		return err
	}
	if snap == nil {
		d.Missing[SecAgreement] = "No agreement measured yet: label a sample with a second oracle (`distill label --oracle KIND --model MODEL --sample N`) or ask one oracle again (`--repeat 2`), then run `distill agree --filter DIR`."
		return nil
	}
	d.Agreements = snap.Ref().String()
	if err := sess.Input(ctx, "agreements_input", rel); err != nil {
		return err
	}
	var older int64
	err = curate.Each(ctx, sess, "report/agreements", func(r *sql.Rows) error {
		var a AgreementRow
		var f [8]sql.NullFloat64
		var at sql.NullTime
		var seq sql.NullInt64
		if err := r.Scan(&a.Kind, &a.A, &a.B, &a.Dimension, &a.Articles, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &at, &seq); err != nil {
			return err
		}
		if labels != nil && seq.Valid && seq.Int64 < labels.Seq {
			older = max(older, seq.Int64)
		}
		for i, p := range []**float64{&a.MAE, &a.Offset, &a.OffsetLow, &a.OffsetHigh, &a.MAEAfterOffset, &a.Spearman, &a.Alpha, &a.TierAgreement} {
			*p = curate.Nullable(f[i])
		}
		d.Agreement = append(d.Agreement, a)
		return nil
	})
	switch {
	case err == nil && len(d.Agreement) == 0:
		d.Missing[SecAgreement] = "No agree run has compared two oracles, or an oracle with its repeats, yet: label a sample with a second oracle or `--repeat 2`, then run `distill agree --filter DIR`."
	case err == nil && older > 0:
		d.AgreementNotes = append(d.AgreementNotes, fmt.Sprintf("Some comparisons were measured on an older labels snapshot (@%d; the labels read here are %s): run `distill agree --filter DIR` again to measure them on the labels as they are.", older, labels.Ref()))
	}
	return err
}

// comparison names one comparison of the agreement chart.
func comparison(a AgreementRow) string {
	if a.Kind == "self" {
		return a.A + " against itself"
	}
	return a.B + " vs " + a.A
}

// agreementChart draws, per comparison, each dimension's MAE as a bar with
// a tick at the MAE left once the mean offset is removed; its table holds
// every figure.
func agreementChart(d *Data) *Chart {
	var comps, dims []string
	for _, a := range d.Agreement {
		if c := comparison(a); !slices.Contains(comps, c) {
			comps = append(comps, c)
		}
		if !slices.Contains(dims, a.Dimension) {
			dims = append(dims, a.Dimension)
		}
	}
	c := &Chart{ID: "chart-agreement", Title: "How far the oracles agree",
		Subtitle: "mean absolute difference of single answers per dimension, from " + d.Agreements + "; the tick is what is left once the mean offset is removed",
		Desc:     "Horizontal bars: for each pair of oracles, and each oracle against its own repeated answers, the mean absolute difference of their scores on each dimension, the overall score and the tier level; a dark tick marks the difference left after removing the mean offset.",
		W:        960}
	colours := map[string]string{}
	for i, comp := range comps {
		colours[comp] = colour(palette, i)
		c.Legend = append(c.Legend, Swatch{Color: colours[comp], Name: comp})
	}
	c.Legend = append(c.Legend, Swatch{Color: "#1b1f24", Name: "after removing the mean offset", Line: true})
	names := make([]string, len(dims))
	for i, dim := range dims {
		names[i] = dimensionLabel(dim)
	}
	barH := 16.0
	group := barH*float64(len(comps)) + 16
	f := frame{left: leftMargin(names, 100, 220), top: 10, right: 56, bottom: 44}
	c.H = f.top + f.bottom + group*float64(len(dims))
	var most float64
	for _, a := range d.Agreement {
		if a.MAE != nil {
			most = math.Max(most, *a.MAE)
		}
	}
	x := xAxis(c, f, most, false, "mean absolute difference (scores 0-10; tier: levels)", tickText)
	for i, name := range names {
		rowLabel(c, f, f.top+group*float64(i)+group/2, name)
	}
	c.Table = &Table{Head: []string{"comparison", "dimension", "n", "MAE", "offset", "95% interval", "MAE after offset", "Spearman", "alpha", "same tier"}}
	for _, a := range d.Agreement {
		comp := comparison(a)
		y := f.top + group*float64(slices.Index(dims, a.Dimension)) + 8 + barH*float64(slices.Index(comps, comp))
		h := barH - 2
		if a.MAE != nil {
			c.Marks = append(c.Marks, Mark{Kind: "rect", Class: "bar", X: x(0), Y: y, W: x(*a.MAE) - x(0), H: h, Fill: colours[comp], Value: *a.MAE,
				Title: fmt.Sprintf("%s · %s: MAE %.3f on %s articles", comp, dimensionLabel(a.Dimension), *a.MAE, fmtInt(a.Articles))})
			c.Labels = append(c.Labels, Label{X: x(*a.MAE) + 5, Y: y + h/2 + 4, Text: fmt.Sprintf("%.2f", *a.MAE), Anchor: "start", Class: "value"})
		}
		if a.MAEAfterOffset != nil {
			c.Marks = append(c.Marks, Mark{Kind: "rect", Class: "baseline", X: x(*a.MAEAfterOffset) - 1.5, Y: y - 2, W: 3, H: h + 4, Fill: "#1b1f24", Value: *a.MAEAfterOffset,
				Title: fmt.Sprintf("%s · %s: MAE %.3f after removing the mean offset %s", comp, dimensionLabel(a.Dimension), *a.MAEAfterOffset, fmtNum(a.Offset, 2))})
		}
		interval := ""
		if a.OffsetLow != nil && a.OffsetHigh != nil {
			interval = fmt.Sprintf("[%s, %s]", fmtNum(a.OffsetLow, 2), fmtNum(a.OffsetHigh, 2))
		}
		same := ""
		if a.TierAgreement != nil {
			same = fmt.Sprintf("%.0f%%", 100**a.TierAgreement)
		}
		c.Table.Rows = append(c.Table.Rows, []string{comp, dimensionLabel(a.Dimension), fmtInt(a.Articles), fmtNum(a.MAE, 3), fmtNum(a.Offset, 2),
			interval, fmtNum(a.MAEAfterOffset, 3), fmtNum(a.Spearman, 2), fmtNum(a.Alpha, 2), same})
	}
	return c
}
