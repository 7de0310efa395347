package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/gate"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/selection"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/students"
)

// selectFlags choose what label spends its budget on.
var selectFlags = []cli.Flag{
	&cli.StringFlag{Name: "select", Usage: "choose --budget articles not yet labeled by this oracle: random, similar, uncertain, upper, diverse, drift (where the latest distill drift run saw the scores move), or a mixture (upper:0.5,random:0.5); each label records the strategy and its inclusion probability, which eval weights back"},
	&cli.IntFlag{Name: "budget", Usage: "with --select: how many articles to label"},
	&cli.StringFlag{Name: "seeds", Usage: "with --select similar: the ids of known positive articles, comma-separated"},
	&cli.StringFlag{Name: "seeds-file", Usage: "with --select similar: a file of seed ids, one per line (# starts a comment)"},
	&cli.StringFlag{Name: "encoder", Usage: "with --select similar|diverse: the embeddings' encoder", DefaultText: "the newest (distill embed)"},
	&cli.StringFlag{Name: "select-model", Usage: "with --select upper|uncertain: the student whose predictions choose (its missing predictions of the compressed articles are made first)", DefaultText: "the production model, else the newest"},
}

// selectOptions fills the selection options from the flags. For upper and
// uncertain it resolves the student and has it predict every compressed
// article it has not predicted (distill predict --split all), so that the
// selection sees the whole pool.
func selectOptions(c *cli.Context, e *env, l *lake.Lake, f *filters.Filter, opts *label.Options) error {
	opts.Select, opts.Budget, opts.Encoder = c.String("select"), c.Int("budget"), c.String("encoder")
	for _, id := range strings.Split(c.String("seeds"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			opts.Seeds = append(opts.Seeds, id)
		}
	}
	if path := c.String("seeds-file"); path != "" {
		ids, err := readSeeds(path)
		if err != nil {
			return err
		}
		opts.Seeds = append(opts.Seeds, ids...)
	}
	if opts.Select == "" {
		return nil
	}
	plan, err := selection.Parse(opts.Select)
	if err != nil || !plan.NeedsPredictions() || opts.Budget <= 0 {
		return err // label.Options.Validate says what is wrong
	}
	model := c.String("select-model")
	if model == "" {
		if model, err = productionOrNewest(c, l, f); err != nil {
			return err
		}
	}
	if model, err = students.ResolveID(c.Context, l, f, model); err != nil {
		return err
	}
	opts.SelectModel = model
	res, err := predict.Run(c.Context, l, predict.Options{Filter: f, Model: model, Split: "all"})
	if err != nil {
		return fmt.Errorf("--select %s: predicting the compressed articles with %s: %w", opts.Select, model, err)
	}
	if res.Predicted > 0 {
		fmt.Fprintf(e.stderr, "select: %s predicted %d compressed articles it had not (%d already)\n", model, res.Predicted, res.Already)
	}
	return nil
}

// productionOrNewest is the model tagged production, else the newest.
func productionOrNewest(c *cli.Context, l *lake.Lake, f *filters.Filter) (string, error) {
	sess, err := l.Session(c.Context, f.Namespace())
	if err != nil {
		return "", err
	}
	defer sess.Close()
	model, _, err := gate.Tagged(c.Context, sess, f, gate.Production)
	if err != nil || model != "" {
		return model, err
	}
	return students.Latest, nil
}

// readSeeds reads a seeds file: one id per line, blank lines and # comments
// skipped.
func readSeeds(path string) ([]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--seeds-file: %w", err)
	}
	defer fh.Close()
	var ids []string
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if line = strings.TrimSpace(line); line != "" {
			ids = append(ids, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--seeds-file %s: %w", path, err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("--seeds-file %s holds no ids: one compressed article id per line", path)
	}
	return ids, nil
}
