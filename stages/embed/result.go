package embed

import (
	"fmt"

	"github.com/distillery/distillery/internal/human"
)

// Headline is the run's key figures.
func (r *Result) Headline() string {
	return fmt.Sprintf("%s embedded by %s", human.Plural(r.Embedded, "article"), r.Encoder)
}

// Details say what was embedded with what.
func (r *Result) Details() []string {
	line := fmt.Sprintf("encoder %s: %d floats per article", r.Encoder, r.Dim)
	if r.Fitted {
		line += fmt.Sprintf(", fitted by this run on %s", human.Plural(int64(r.FitTexts), "compressed text"))
	}
	lines := []string{line, fmt.Sprintf("%s embedded, %s already", human.Plural(r.Embedded, "article"), human.Plural(r.Already, "article"))}
	if r.ArticlesPerS > 0 {
		lines[1] += fmt.Sprintf(" (%.0f articles/s)", r.ArticlesPerS)
	}
	return lines
}
