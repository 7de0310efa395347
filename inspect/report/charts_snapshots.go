package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
)

// maxSnapshotBars caps the bars of a snapshot chart: a labeler that commits
// in batches can leave hundreds of snapshots.
const maxSnapshotBars = 120

// snapshotCharts are, per table, its total rows at each snapshot with the
// rows that snapshot added.
func snapshotCharts(d *Data) []*Chart {
	var out []*Chart
	for ti, h := range d.Tables {
		snaps := h.Snapshots
		sub := fmt.Sprintf("%s · %s · now %s", h.Table, counted(int64(len(snaps)), "snapshot"), counted(snaps[len(snaps)-1].TotalRows, "row"))
		if len(snaps) > maxSnapshotBars {
			snaps = snaps[len(snaps)-maxSnapshotBars:]
			sub += fmt.Sprintf("; the last %d shown", maxSnapshotBars)
		}
		_, short, _ := strings.Cut(h.Table, ".")
		c := &Chart{ID: fmt.Sprintf("chart-snapshots-%d", ti), Title: short, Subtitle: sub,
			Desc: "Vertical bars: the table's total rows at each snapshot, by sequence number; the coloured part is what the snapshot added.",
			W:    340, H: 200,
			Legend: []Swatch{{Color: "#c3ccd6", Name: "rows before"}, {Color: palette[0], Name: "rows added"}}}
		f := frame{left: 60, top: 12, right: 10, bottom: 42}
		var max int64
		for _, s := range snaps {
			max = int64(math.Max(float64(max), float64(s.TotalRows)))
		}
		y := yAxis(c, f, float64(max), true, "rows", tickText)
		bw := f.w(c) / float64(len(snaps))
		barW := math.Min(bw*0.75, 30)
		base := c.H - f.bottom
		every := int(math.Ceil(float64(len(snaps)) / 10))
		for i, s := range snaps {
			cx := f.left + bw*(float64(i)+0.5)
			title := snapshotTitle(s)
			top := y(float64(s.TotalRows))
			c.Marks = append(c.Marks, Mark{Kind: "rect", Class: "bar", X: cx - barW/2, Y: top, W: barW, H: base - top, Fill: "#c3ccd6", Value: float64(s.TotalRows), Title: title})
			added := math.Min(float64(max0(s.AddedRows)), float64(s.TotalRows))
			c.Marks = append(c.Marks, Mark{Kind: "rect", Class: "added", X: cx - barW/2, Y: top, W: barW, H: y(float64(s.TotalRows)-added) - top, Fill: palette[0], Value: added, Title: title})
			if i%every == 0 {
				c.Labels = append(c.Labels, Label{X: cx, Y: base + 15, Text: "@" + strconv.FormatInt(s.Seq, 10), Anchor: "middle", Class: "tick"})
			}
		}
		c.Labels = append(c.Labels, Label{X: f.left + f.w(c)/2, Y: c.H - 6, Text: "snapshot (@sequence number)", Anchor: "middle", Class: "axis-title"})
		c.Table = &Table{Head: []string{"@", "time (UTC)", "stage", "operation", "rows added", "total rows", "tags"}}
		for _, s := range h.Snapshots {
			seq := "@" + strconv.FormatInt(s.Seq, 10)
			if s.Current {
				seq += " (current)"
			}
			c.Table.Rows = append(c.Table.Rows, []string{seq, s.Time.UTC().Format("2006-01-02 15:04:05"), s.Stage, s.Operation,
				fmtInt(s.AddedRows), fmtInt(s.TotalRows), strings.Join(s.Tags, ", ")})
		}
		out = append(out, c)
	}
	return out
}

// counted is human.Plural with the report's thousands separators.
func counted(n int64, noun string) string { return fmtInt(n) + " " + human.Noun(n, noun) }

func max0(n int64) int64 { return int64(math.Max(0, float64(n))) }

func snapshotTitle(s lake.Snapshot) string {
	var b strings.Builder
	fmt.Fprintf(&b, "@%d · %s UTC", s.Seq, s.Time.UTC().Format("2006-01-02 15:04:05"))
	if s.Stage != "" {
		fmt.Fprintf(&b, " · stage %s", s.Stage)
	}
	if s.Operation != "" {
		fmt.Fprintf(&b, " · %s", s.Operation)
	}
	fmt.Fprintf(&b, ": +%s, %s in total", counted(s.AddedRows, "row"), fmtInt(s.TotalRows))
	if len(s.Tags) > 0 {
		fmt.Fprintf(&b, " · tags %s", strings.Join(s.Tags, ", "))
	}
	if s.Current {
		b.WriteString(" · current")
	}
	return b.String()
}
