package gate

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/students"
)

// TagOptions say which model a tag names from now on.
type TagOptions struct {
	Filter *filters.Filter `yaml:"-"`
	// Tag is the name, e.g. production.
	Tag string `yaml:"tag"`
	// Model is the model id tagged (a row of <filter>.models).
	Model string `yaml:"model"`
	// Note says why, for whoever reads the tags later.
	Note string `yaml:"note"`
	// Waiting, when set, gets the line saying that another tag run holds
	// the table (nil: the line goes to standard error).
	Waiting func(msg string) `yaml:"-"`
}

var tagName = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

// Validate checks the options.
func (o *TagOptions) Validate() error {
	if o.Filter == nil {
		return fmt.Errorf("%w: no filter", ErrOptions)
	}
	if !tagName.MatchString(o.Tag) {
		return fmt.Errorf("%w: tag %q: want lower-case letters, digits, _ and - (e.g. production)", ErrOptions, o.Tag)
	}
	if o.Model == "" {
		return fmt.Errorf("%w: no model to tag", ErrOptions)
	}
	return nil
}

// TagResult is a tag run: the tag, the model it names now and the one it
// named before ("" for none).
type TagResult struct {
	spec.Summary
	Tag      string `json:"tag"`
	Model    string `json:"model"`
	Previous string `json:"previous"`
}

var _ spec.Result = (*TagResult)(nil)

// Details is the change, in words.
func (r *TagResult) Details() []string {
	switch r.Previous {
	case "":
		return []string{fmt.Sprintf("%s is now %s", r.Tag, r.Model)}
	case r.Model:
		return []string{fmt.Sprintf("%s was already %s (tagged again)", r.Tag, r.Model)}
	}
	return []string{fmt.Sprintf("%s is now %s (was %s)", r.Tag, r.Model, r.Previous)}
}

// Headline is the tag and its model.
func (r *TagResult) Headline() string { return r.Tag + " = " + r.Model }

// Tag appends a row to <filter>.model_tags: from now on the tag names
// opts.Model (the newest row of a tag wins). An unknown model is refused
// with the closest id.
func Tag(ctx context.Context, l *lake.Lake, opts TagOptions) (*TagResult, error) {
	start := time.Now()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	f := opts.Filter
	sess, err := l.Session(ctx, f.Namespace())
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	rel, models, err := relation(ctx, sess, spec.Models, spec.Models.Ref(f), fmt.Sprintf("%s %q: %s has no models yet", ErrNoModel, opts.Model, spec.Models.For(f)))
	if err != nil {
		return nil, err
	}
	if err := sess.Input(ctx, "models_input", rel); err != nil {
		return nil, err
	}
	known, err := sess.StringSet(ctx, "SELECT id FROM models_input")
	if err != nil {
		return nil, err
	}
	if err := knownModel(known, opts.Model, "model", models); err != nil {
		return nil, err
	}
	out := spec.ModelTags.For(f)
	if err := spec.ModelTags.Ensure(ctx, l, f); err != nil {
		return nil, err
	}
	lock, err := spec.ModelTag.Lock(ctx, l, f, opts.Waiting)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	res := &TagResult{Summary: spec.Start(spec.ModelTag, l.RunID), Tag: opts.Tag, Model: opts.Model}
	if res.Previous, _, err = Tagged(ctx, sess, f, opts.Tag); err != nil {
		return nil, err
	}
	pending, err := l.WriteRows(ctx, out, func(rb *lake.RowBuilder) error {
		rb.String("tag", opts.Tag)
		rb.String("model", opts.Model)
		if opts.Note != "" {
			rb.String("note", opts.Note)
		}
		rb.Long("models_sequence", models.Seq)
		rb.Time("tagged_at", time.Now())
		rb.String("run_id", l.RunID)
		rb.EndRow()
		return nil
	})
	if err != nil {
		return nil, err
	}
	snap, err := pending.Commit(ctx, lake.Commit{Stage: spec.ModelTag.Name, Inputs: []lake.Snapshot{*models}, Filter: f.Ref(),
		Params: map[string]any{"tag": opts.Tag, "model": opts.Model, "note": opts.Note}})
	if err != nil {
		return nil, err
	}
	res.RowsIn, res.RowsOut = 1, pending.Rows()
	res.SetInputs(*models)
	res.Finish(out, snap, start)
	return res, nil
}

// Tagged is students.Tagged: the model the tag names now and the
// model_tags snapshot read.
func Tagged(ctx context.Context, sess *lake.Session, f *filters.Filter, tag string) (string, *lake.Snapshot, error) {
	return students.Tagged(ctx, sess, f, tag)
}

// inputTags is students.InputTags.
func inputTags(ctx context.Context, sess *lake.Session, f *filters.Filter) (*lake.Snapshot, error) {
	return students.InputTags(ctx, sess, f)
}
