package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/internal/progress"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
)

func labelCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "label",
		Usage: "score compressed articles with an oracle (gemini, openai, keywords, simulate): <filter>.labels",
		Flags: append([]cli.Flag{lakeFlag, jsonFlag, optionalFilterFlag,
			&cli.StringFlag{Name: "oracle", Value: "keywords", Usage: "gemini (GEMINI_API_KEY), openai (OPENAI_API_KEY, any compatible server), keywords (offline, free) or simulate (offline: keywords plus --model \"offset=X,noise=Y\")"},
			&cli.StringFlag{Name: "model", Usage: "model name (default: the filter's oracle.model; required for openai)"},
			&cli.StringFlag{Name: "base-url", Usage: "API base URL: a proxy, a local server"},
			&cli.IntFlag{Name: "concurrency", Value: 4, Usage: "calls in flight"},
			&cli.Float64Flag{Name: "rpm", Usage: "requests per minute (0: no limit)"},
			&cli.Float64Flag{Name: "tpm", Usage: "tokens per minute (0: no limit)"},
			&cli.IntFlag{Name: "target-count", Usage: "stop after this many new labels"},
			&cli.Float64Flag{Name: "max-cost", Usage: "stop before the next call would take the run past this many USD"},
			&cli.BoolFlag{Name: "estimate", Usage: "make no calls: print cache misses, expected tokens and cost"},
			&cli.BoolFlag{Name: "full", Usage: "label every compressed article again (cache hits cost nothing)"},
			&cli.IntFlag{Name: "sample", Usage: "label a fixed sample of this many compressed articles, chosen by --seed: the same for every oracle and model (0: all)"},
			&cli.StringFlag{Name: "stratify", Value: label.StratifyNone, Usage: "the sample: none (seed order) or tier (shared evenly across the tiers the free keywords scoring gives the articles)"},
			&cli.Int64Flag{Name: "seed", Value: 42, Usage: "the seed that orders the sample (and --select's random draws)"},
			&cli.IntFlag{Name: "repeat", Value: 1, Usage: "ask the oracle this many times per article, each ask a label row of its own (labels.repeat 0, 1, ...); asks already made are never made again"},
			&cli.IntFlag{Name: "rpd", Usage: "requests per day: stop (exit 0) before this oracle model passes this many requests in the last 24 hours of this filter's calls, saying when to rerun (0: no limit)"},
			&cli.IntFlag{Name: "thinking-budget", Value: -1, Usage: "thought tokens a thinking model may spend an answer, billed as output (0: thinking off where the model allows; -1: the model's default, off where it can be, else its minimum)", DefaultText: "the filter's oracle.thinking_budget, else -1"},
			&cli.StringFlag{Name: "evidence", Usage: fmt.Sprintf("the evidence asked for per dimension: full (a sentence), short (at most %d words) or none (scores only); each setting is asked and cached apart", label.ShortEvidenceWords), DefaultText: "the filter's oracle.evidence, else full"},
			&cli.Float64Flag{Name: "temperature", Value: -1, Usage: "sampling temperature", DefaultText: "the filter's"},
			&cli.IntFlag{Name: "max-tokens", Usage: "max output tokens", DefaultText: "the filter's"},
			&cli.IntFlag{Name: "batch-size", Value: 500, Usage: "labels per Iceberg commit (answers are safe in the journal before that)"},
			&cli.DurationFlag{Name: "timeout", Value: 2 * time.Minute, Usage: "per-call timeout"},
			&cli.IntFlag{Name: "stop-after-failures", Value: 10, Usage: "stop (exit 1) once this many articles in a row fail with one error class (0: never)"},
			&cli.BoolFlag{Name: "batch", Usage: "submit one Gemini Batch API job (about half price); pick the answers up with --collect"},
			&cli.BoolFlag{Name: "collect", Usage: "commit the answers of finished batch jobs (resumable: run it again until all are done)"},
		}, selectFlags...),
		Subcommands: []*cli.Command{labelImportCommand(e)},
		Action: func(c *cli.Context) error {
			if c.String("filter") == "" {
				return fmt.Errorf("label needs --filter DIR")
			}
			f, err := filters.Load(c.String("filter"))
			if err != nil {
				return err
			}
			orc, err := newOracle(c, f)
			if err != nil {
				return err
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			opts := label.Options{Filter: f, Oracle: orc, Concurrency: c.Int("concurrency"), RPM: c.Float64("rpm"), TPM: c.Float64("tpm"),
				TargetCount: c.Int("target-count"), MaxCost: c.Float64("max-cost"), Estimate: c.Bool("estimate"),
				Full: c.Bool("full"), MaxTokens: c.Int("max-tokens"), BatchSize: c.Int("batch-size"), StopAfterFailures: c.Int("stop-after-failures"),
				Sample: c.Int("sample"), Stratify: c.String("stratify"), Seed: c.Int64("seed"), Repeat: c.Int("repeat"), RPD: c.Int("rpd")}
			if err := selectOptions(c, e, l, f, &opts); err != nil {
				return err
			}
			if opts.StopAfterFailures == 0 {
				opts.StopAfterFailures = -1 // the flag's 0 is never; the Options' 0 is the default
			}
			if t := c.Float64("temperature"); t >= 0 {
				opts.Temperature = &t
			}
			if c.IsSet("thinking-budget") {
				b := c.Int("thinking-budget")
				opts.ThinkingBudget = &b
			}
			opts.Evidence = c.String("evidence")
			if c.Bool("batch") {
				sub, err := label.SubmitBatch(c.Context, l, opts)
				if err != nil {
					return err
				}
				if c.Bool("json") {
					return e.printJSON(sub)
				}
				if sub.Job == "" {
					fmt.Fprintf(e.stdout, "batch: nothing to submit (%s taken from the cache)\n", human.Plural(int64(sub.Cached), "answer"))
					return nil
				}
				fmt.Fprintf(e.stdout, "batch: submitted %s with %s (expected cost $%.4f at the batch price; %d from the cache)\n  collect with: distill label --filter %s --oracle %s --collect\n",
					sub.Job, human.Plural(int64(sub.Requests), "request"), sub.ExpectedCost, sub.Cached, c.String("filter"), orc.Kind())
				return nil
			}
			if c.Bool("collect") {
				res, jobs, err := label.Collect(c.Context, l, opts)
				if c.Bool("json") {
					e.printJSON(map[string]any{"result": res, "jobs": jobs})
				} else {
					for _, j := range jobs {
						fmt.Fprintf(e.stdout, "batch %s (%s, submitted %s): %s\n", j.Name, human.Plural(int64(j.Requests), "request"), j.SubmittedAt.Format(time.RFC3339), j.State)
					}
					if len(jobs) == 0 {
						fmt.Fprintln(e.stdout, "batch: no jobs waiting")
					}
					if perr := spec.Print(e.stdout, res, false); perr != nil {
						return perr
					}
				}
				return err
			}
			bar := progress.Start(e.stderr, "label", false)
			started := time.Now()
			opts.Progress = func(r label.Result) {
				bar.Set(r.RowsOut+r.Failed, r.RowsIn-r.AlreadyDone)
				bar.Note(fmt.Sprintf("%.1f labels/s, %s, $%.4f", float64(r.RowsOut)/time.Since(started).Seconds(), human.Plural(int64(r.Failed), "error"), r.Cost))
			}
			res, err := label.Run(c.Context, l, opts)
			bar.Done()
			if perr := e.printResult(c, res); perr != nil {
				return perr
			}
			return err
		},
	}
}

// optionalFilterFlag is --filter on a command whose subcommands take their own
// (urfave/cli checks a parent's required flags before running a subcommand).
var optionalFilterFlag = &cli.StringFlag{Name: "filter", Usage: filterFlag.Usage}

func newOracle(c *cli.Context, f *filters.Filter) (oracle.Oracle, error) {
	orc, err := oracle.New(c.Context, oracle.Config{Kind: c.String("oracle"), Model: c.String("model"),
		BaseURL: c.String("base-url"), Timeout: c.Duration("timeout"), Filter: f, NoCalls: c.Bool("estimate")})
	switch {
	case errors.Is(err, oracle.ErrNoModel):
		return nil, fmt.Errorf("--oracle openai needs --model (e.g. gpt-4o-mini, deepseek-chat, the name a vLLM or Ollama server serves)")
	case errors.Is(err, oracle.ErrKind):
		return nil, fmt.Errorf("--oracle %q: want gemini, openai, keywords or simulate", c.String("oracle"))
	}
	return orc, err
}
