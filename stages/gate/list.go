package gate

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// TagRow is one row of <filter>.model_tags; Current marks the newest of
// its tag, the model the tag names.
type TagRow struct {
	Tag      string    `json:"tag"`
	Model    string    `json:"model"`
	Current  bool      `json:"current"`
	TaggedAt time.Time `json:"tagged_at"`
	RunID    string    `json:"run_id"`
	Note     string    `json:"note,omitempty"`
}

// ModelRow is a model with the tags that name it now.
type ModelRow struct {
	ID        string    `json:"id"`
	Backend   string    `json:"backend"`
	TrainedAt time.Time `json:"trained_at"`
	ValMAE    *float64  `json:"val_mae"`
	ValRows   int64     `json:"val_rows"`
	Tags      []string  `json:"tags"`
}

// Tags lists every tag row of the filter, newest first.
func Tags(ctx context.Context, l *lake.Lake, f *filters.Filter) ([]TagRow, error) {
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	if _, err := inputTags(ctx, sess, f); err != nil {
		return nil, err
	}
	out := []TagRow{}
	err = sess.EachFile(ctx, "gate/tags", nil, func(rows *sql.Rows) error {
		var r TagRow
		var at sql.NullTime
		var run, note sql.NullString
		if err := rows.Scan(&r.Tag, &r.Model, &r.Current, &at, &run, &note); err != nil {
			return err
		}
		r.TaggedAt, r.RunID, r.Note = at.Time, run.String, note.String
		out = append(out, r)
		return nil
	})
	return out, err
}

// Models lists the filter's models, newest first, with their tags.
func Models(ctx context.Context, l *lake.Lake, f *filters.Filter) ([]ModelRow, error) {
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	rel, _, err := relation(ctx, sess, spec.Models, spec.Models.Ref(f), fmt.Sprintf("%s has no models yet", spec.Models.For(f)))
	if err != nil {
		return nil, err
	}
	if err := sess.Input(ctx, "models_input", rel); err != nil {
		return nil, err
	}
	if _, err := inputTags(ctx, sess, f); err != nil {
		return nil, err
	}
	out := []ModelRow{}
	err = sess.EachFile(ctx, "gate/model_list", nil, func(rows *sql.Rows) error {
		var r ModelRow
		var backend sql.NullString
		var at sql.NullTime
		var mae sql.NullFloat64
		var n sql.NullInt64
		var tags []any
		if err := rows.Scan(&r.ID, &backend, &at, &mae, &n, &tags); err != nil {
			return err
		}
		r.Backend, r.TrainedAt, r.ValRows, r.Tags = backend.String, at.Time, n.Int64, []string{}
		if mae.Valid {
			r.ValMAE = &mae.Float64
		}
		for _, t := range tags {
			r.Tags = append(r.Tags, fmt.Sprint(t))
		}
		out = append(out, r)
		return nil
	})
	return out, err
}
