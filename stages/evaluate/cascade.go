package evaluate

import (
	"context"
	"database/sql"
	"errors"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// Cascade is what the cascade measured last (distill cascade) keeps and
// forwards on the articles evaluated: shown before it is switched on, and
// while it is on, beside the model's own figures.
type Cascade struct {
	First     string  `json:"first_model"`
	Threshold float64 `json:"threshold"`
	Enabled   bool    `json:"enabled"`
	Articles  int64   `json:"articles"`
	Positives int64   `json:"positives"`
	// Recall is the share of positives forwarded (0 without positives);
	// Forwarded the share of the articles forwarded.
	Recall    float64 `json:"recall"`
	Forwarded float64 `json:"forwarded"`
}

// readCascade reads the figures of the filter's last measured cascade on
// eval_articles (nil: none measured, or its first stage predicted none of
// them).
func readCascade(ctx context.Context, sess *lake.Session, f *filters.Filter) (*Cascade, error) {
	rel, snap, err := sess.Relation(ctx, spec.Cascades.Ref(f))
	if errors.Is(err, lake.ErrNoTable) || (err == nil && snap == nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := sess.Input(ctx, "cascades_input", rel); err != nil {
		return nil, err
	}
	c := &Cascade{}
	var recall sql.NullFloat64
	err = sess.QueryRowFile(ctx, "eval/cascade", nil, &c.First, &c.Threshold, &c.Enabled, &c.Articles, &c.Positives, &recall, &c.Forwarded)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	c.Recall = recall.Float64
	return c, err
}
