package gate

import (
	"context"
	"fmt"

	"github.com/distillery/distillery/curate"
	"github.com/distillery/distillery/lake"
)

// leaveOutSeen drops from eval_scope the articles a gated model trained or
// chose on under the split it trained with (curate.LeaveOutSeen): scored
// on what it learned a model looks better than it is, the production
// model as much as the candidate. res warns what was left out; when
// nothing is left the gate stops.
func leaveOutSeen(ctx context.Context, sess *lake.Session, opts Options, in *inputs, current *lake.Snapshot, res *Result) error {
	models := []string{opts.Candidate}
	if !in.baselines {
		models = append(models, in.others...)
	}
	seen, err := curate.LeaveOutSeen(ctx, sess, opts.Filter, models, current.Seq)
	if err != nil {
		return err
	}
	for i := range seen.Inputs {
		in.add(&seen.Inputs[i])
	}
	for _, u := range seen.Unread {
		res.Warn("could not read the split %s trained with: articles it trained on may be among those gated", u)
	}
	if !seen.Any() {
		return nil
	}
	what := seen.Sentence(opts.Split)
	if seen.Left == 0 {
		return fmt.Errorf("%w: %s; every one was, so no article is left that no side has seen: train and predict the candidate with the current split, then gate again", ErrNoArticles, what)
	}
	res.Warn("%s; a model scored on what it learned looks better than it is, so they are left out and the gate scores the other %d", what, seen.Left)
	return nil
}
