package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Chart is one figure of the report: an inline SVG of marks in a plot area
// with its axes, a title, a legend, and the numbers again as a table for
// readers who cannot see the chart. Everything is plain data that the
// template writes out through html/template, so every string is escaped.
type Chart struct {
	ID       string
	Title    string
	Subtitle string
	// Desc says in one sentence what the chart shows (the SVG's <desc>).
	Desc   string
	W, H   float64
	Grid   []Line  // light guide lines behind the marks
	Marks  []Mark  // the data; each has a <title> shown on hover
	Axes   []Line  // axis lines, over the marks
	Labels []Label // tick labels, axis titles, values
	Legend []Swatch
	Table  *Table
}

// Mark is one drawn datum: a rect (bar, cell), a path (a series) or a circle
// (a point). Value is the number it stands for: a mark may have no area only
// when its value is 0 (the browser test checks this).
type Mark struct {
	Kind       string // rect, path or circle
	Class      string // bar, cell, baseline, added, series, point
	X, Y, W, H float64
	D          string
	R          float64
	Fill       string
	Stroke     string
	Value      float64
	Title      string
	// Text is written on the mark (a heat-map cell's count) in TextFill.
	Text     string
	TextFill string
}

// Line is a guide or axis line.
type Line struct {
	X1, Y1, X2, Y2 float64
	Class          string // grid, axis, mean
}

// Label is a text in the SVG.
type Label struct {
	X, Y   float64
	Text   string
	Anchor string // start, middle, end
	Class  string // tick, axis-title, value, note
	Rotate bool   // -90°, for a vertical axis title
	// Full is the whole text when Text was shortened (shown on hover).
	Full string
}

// Swatch is one legend entry.
type Swatch struct {
	Color string
	Name  string
	// Line draws a tick instead of a square (the baseline).
	Line bool
}

// Table is the chart's numbers.
type Table struct {
	Head []string
	Rows [][]string
}

// Colours. Okabe and Ito's palette reads for every common kind of colour
// blindness; the order puts the two most distinct first.
var (
	palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#7F7F7F"}
	// tierPalette runs from the highest tier (blue, green) to the lowest
	// (orange, vermilion), so "good" and "bad" keep their colours across charts.
	tierPalette = []string{"#0072B2", "#009E73", "#E69F00", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#7F7F7F"}
	// blues is a single-hue sequential scale (ColorBrewer Blues) for heat
	// maps: lightness alone carries the value.
	blues   = []string{"#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"}
	neutral = "#9aa5b1"
)

func colour(p []string, i int) string { return p[i%len(p)] }

// heat returns the colour of t in [0, 1] on the blues scale and the text
// colour that reads on it.
func heat(t float64) (fill, text string) {
	t = math.Max(0, math.Min(1, t))
	i := int(math.Round(t * float64(len(blues)-1)))
	if i >= 5 {
		return blues[i], "#ffffff"
	}
	return blues[i], "#0b1f33"
}

// niceTicks returns ticks from 0 to at least max in steps of 1, 2 or 5 times
// a power of ten; integer axes never step below 1.
func niceTicks(max float64, n int, integer bool) []float64 {
	if !(max > 0) {
		max = 1
	}
	raw := max / float64(n)
	exp := math.Pow(10, math.Floor(math.Log10(raw)))
	var step float64
	switch f := raw / exp; {
	case f <= 1:
		step = exp
	case f <= 2:
		step = 2 * exp
	case f <= 5:
		step = 5 * exp
	default:
		step = 10 * exp
	}
	if integer && step < 1 {
		step = 1
	}
	var ticks []float64
	for i := 0; ; i++ {
		// Round away float noise: 3 × 0.2 is 0.6000000000000001.
		v, _ := strconv.ParseFloat(strconv.FormatFloat(float64(i)*step, 'g', 12, 64), 64)
		ticks = append(ticks, v)
		if v >= max-1e-9 {
			break
		}
	}
	return ticks
}

// tickText formats a tick value without trailing zeros.
func tickText(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmtInt(int64(v))
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// fmtInt writes n with thousands separators.
func fmtInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func fmtPct(share float64) string { return fmt.Sprintf("%.1f%%", 100*share) }

func fmtUSD(x float64) string {
	if x != 0 && math.Abs(x) < 10 {
		return fmt.Sprintf("$%.4f", x)
	}
	cents := int64(math.Round(math.Abs(x) * 100))
	sign := ""
	if x < 0 {
		sign = "-"
	}
	return fmt.Sprintf("%s$%s.%02d", sign, fmtInt(cents/100), cents%100)
}

func fmtNum(p *float64, digits int) string {
	if p == nil {
		return "–"
	}
	return strconv.FormatFloat(*p, 'f', digits, 64)
}

// shorten cuts s to n characters with an ellipsis.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// textWidth estimates the width of s at the report's 12 px font: there is
// no font metric in Go, and the margins only need to be roughly right.
func textWidth(s string) float64 { return 6.6 * float64(utf8.RuneCountInString(s)) }

// px formats a coordinate for an SVG attribute.
func px(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// frame is a plot area inside a chart of width W and height H.
type frame struct{ left, top, right, bottom float64 }

func (f frame) w(c *Chart) float64 { return c.W - f.left - f.right }
func (f frame) h(c *Chart) float64 { return c.H - f.top - f.bottom }

// yAxis draws a vertical value axis on the left of the frame: grid lines,
// tick labels and the title, and returns the scale from value to y.
func yAxis(c *Chart, f frame, max float64, integer bool, title string, format func(float64) string) func(float64) float64 {
	ticks := niceTicks(max, 4, integer)
	top := ticks[len(ticks)-1]
	h := f.h(c)
	y := func(v float64) float64 { return f.top + h - v/top*h }
	for _, t := range ticks {
		c.Grid = append(c.Grid, Line{X1: f.left, Y1: y(t), X2: c.W - f.right, Y2: y(t), Class: "grid"})
		c.Labels = append(c.Labels, Label{X: f.left - 6, Y: y(t) + 4, Text: format(t), Anchor: "end", Class: "tick"})
	}
	c.Axes = append(c.Axes, Line{X1: f.left, Y1: f.top + h, X2: c.W - f.right, Y2: f.top + h, Class: "axis"})
	c.Labels = append(c.Labels, Label{X: 14, Y: f.top + h/2, Text: title, Anchor: "middle", Class: "axis-title", Rotate: true})
	return y
}

// xAxis draws a horizontal value axis under the frame and returns the scale
// from value to x.
func xAxis(c *Chart, f frame, max float64, integer bool, title string, format func(float64) string) func(float64) float64 {
	ticks := niceTicks(max, 5, integer)
	top := ticks[len(ticks)-1]
	w := f.w(c)
	x := func(v float64) float64 { return f.left + v/top*w }
	base := c.H - f.bottom
	for _, t := range ticks {
		c.Grid = append(c.Grid, Line{X1: x(t), Y1: f.top, X2: x(t), Y2: base, Class: "grid"})
		c.Labels = append(c.Labels, Label{X: x(t), Y: base + 16, Text: format(t), Anchor: "middle", Class: "tick"})
	}
	c.Axes = append(c.Axes, Line{X1: f.left, Y1: f.top, X2: f.left, Y2: base, Class: "axis"})
	c.Labels = append(c.Labels, Label{X: f.left + w/2, Y: c.H - 6, Text: title, Anchor: "middle", Class: "axis-title"})
	return x
}

// rowLabel adds a category label left of a horizontal bar, shortened to
// fit the margin (the whole text on hover).
func rowLabel(c *Chart, f frame, y float64, text string) {
	max := int((f.left - 12) / 6.6)
	l := Label{X: f.left - 8, Y: y + 4, Text: shorten(text, max), Anchor: "end", Class: "tick"}
	if l.Text != text {
		l.Full = text
	}
	c.Labels = append(c.Labels, l)
}

// leftMargin fits the longest category label, within limits.
func leftMargin(labels []string, min, max float64) float64 {
	w := min
	for _, s := range labels {
		w = math.Max(w, textWidth(s)+20)
	}
	return math.Min(w, max)
}
