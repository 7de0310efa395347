package main

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/inspect/stats"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/split"
)

// refFlag parses a --labels/--table style flag: "labels@3", "ns.labels@tag"
// (a bare name is in the filter's namespace); "" is the zero Ref.
func refFlag(c *cli.Context, name string, f *filters.Filter) (lake.Ref, error) {
	v := c.String(name)
	if v == "" {
		return lake.Ref{}, nil
	}
	r, err := lake.ParseRef(v, f.Namespace())
	if err != nil {
		return r, fmt.Errorf("--%s: %w", name, err)
	}
	return r, nil
}

// refArg is a snapshot flag and where its value goes.
type refArg struct {
	flag string
	to   *lake.Ref
}

// refFlags parses several snapshot flags (see refFlag).
func refFlags(c *cli.Context, f *filters.Filter, args ...refArg) error {
	for _, a := range args {
		r, err := refFlag(c, a.flag, f)
		if err != nil {
			return err
		}
		*a.to = r
	}
	return nil
}

func statsCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "stats",
		Usage: "label statistics: tiers, per-dimension histograms, oracles, cost, split balance",
		Flags: []cli.Flag{lakeFlag, jsonFlag, filterFlag,
			&cli.StringFlag{Name: "table", Aliases: []string{"labels"}, Usage: "labels snapshot to describe, e.g. labels@3 or labels@v1 (default: current)"},
			&cli.StringFlag{Name: "splits", Usage: "splits snapshot for --split and the balance table (default: current)"},
			&cli.StringFlag{Name: "split", Usage: "only this split: train, val, test"},
			&cli.StringFlag{Name: "combine", Usage: "articles with several labels: latest or mean, optionally with oracle=KIND/MODEL to use one oracle's labels (e.g. mean,oracle=gemini/gemini-2.5-flash) (default: the filter's splits.combine)"},
		},
		Action: func(c *cli.Context) error {
			f, err := filters.Load(c.String("filter"))
			if err != nil {
				return err
			}
			opts := stats.Options{Filter: f, Split: c.String("split"), Combine: c.String("combine")}
			if err := refFlags(c, f, refArg{"table", &opts.Labels}, refArg{"splits", &opts.Splits}); err != nil {
				return err
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			res, err := stats.Run(c.Context, l, opts)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return e.printJSON(res)
			}
			printStats(e, res)
			return nil
		},
	}
}

// bar is a text bar of width proportional to n/max.
func bar(n, max int64, width int) string {
	if max == 0 || n == 0 {
		return ""
	}
	w := int(float64(n) / float64(max) * float64(width))
	if w == 0 {
		return "▏"
	}
	return strings.Repeat("█", w)
}

func printStats(e *env, r *stats.Result) {
	w := e.stdout
	scope := ""
	if r.Split != "" {
		scope = fmt.Sprintf(", split %s of %s", r.Split, r.Splits)
	}
	fmt.Fprintf(w, "%s: %s from %s (combine: %s%s)\n\n", r.Labels, human.Plural(int64(r.Articles), "article"), human.Plural(int64(r.LabelRows), "label row"), r.Combine, scope)
	var maxTier int64
	for _, t := range r.Tiers {
		maxTier = max(maxTier, t.Articles)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIER\tMIN\tARTICLES\tSHARE\t")
	for _, t := range r.Tiers {
		fmt.Fprintf(tw, "%s\t%g\t%d\t%5.1f%%\t%s\n", t.Tier, t.MinScore, t.Articles, 100*t.Share, bar(t.Articles, maxTier, 30))
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DIMENSION\tWEIGHT\tMEAN\tSTD\tMIN\tMAX\tHISTOGRAM 0..10")
	for _, d := range r.Dimensions {
		fmt.Fprintf(tw, "%s\t%g\t%.2f\t%.2f\t%g\t%g\t%s\n", d.Name, d.Weight, d.Mean, d.Std, d.Min, d.Max, sparkline(d.Histogram[:]))
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ORACLE\tMODEL\tFILTER (PROMPT) SHA\tLABELS\tARTICLES\tCACHED\tCOST USD\tLAST LABELED (UTC)")
	for _, s := range r.Sources {
		oracle := s.Oracle
		if s.Imported {
			oracle += " (imported)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.12s\t%d\t%d\t%d\t%.4f\t%s\n", oracle, s.Model, s.FilterSHA256, s.Labels, s.Articles, s.Cached, s.CostUSD, s.Last.Format("2006-01-02 15:04"))
	}
	tw.Flush()
	fmt.Fprintf(w, "\ncost so far: $%.4f over %s (%d failed), %s in, %d out\n", r.Cost.CostUSD, human.Plural(int64(r.Cost.Calls), "oracle call"), r.Cost.FailedCalls, human.Plural(int64(r.Cost.TokensIn), "token"), r.Cost.TokensOut)
	if ft := r.Footer; ft != nil {
		fmt.Fprintf(w, "footer phrases: %d of %d compressed texts (%.1f%%)\n", ft.Texts, ft.Total, 100*ft.Share)
	}
	if len(r.Balance) > 0 {
		fmt.Fprintf(w, "\nsplit balance (%s):\n", r.Splits)
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SPLIT\tTIER\tARTICLES\tSHARE\tUSED")
		for _, b := range r.Balance {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%5.1f%%\t%d\n", b.Split, b.Tier, b.Articles, 100*b.Share, b.Used)
		}
		tw.Flush()
	}
	for _, m := range r.Warnings {
		fmt.Fprintln(w, "warning:", m)
	}
}

// sparkline draws counts as one block character each, scaled to the largest.
func sparkline(counts []int64) string {
	levels := []rune(" ▁▂▃▄▅▆▇█")
	var mx int64
	for _, n := range counts {
		mx = max(mx, n)
	}
	var b strings.Builder
	b.WriteRune('|')
	for _, n := range counts {
		i := 0
		if mx > 0 && n > 0 {
			i = 1 + int(float64(n)/float64(mx)*float64(len(levels)-2))
		}
		b.WriteRune(levels[i])
	}
	b.WriteRune('|')
	return b.String()
}

func splitCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "split",
		Usage: "stable, stratified train/val/test split with duplicate groups: <filter>.splits",
		Flags: []cli.Flag{lakeFlag, jsonFlag, filterFlag,
			&cli.StringFlag{Name: "labels", Usage: "labels snapshot to split, e.g. labels@3 or labels@v1 (default: current)"},
			&cli.IntFlag{Name: "seed", Usage: "orders new articles", DefaultText: "the filter's splits.seed, 42"},
			&cli.StringFlag{Name: "ratios", Usage: "train,val,test shares (default: the filter's, 0.8,0.1,0.1)"},
			&cli.StringFlag{Name: "stratify-by", Usage: "tier, overall_bin or DIMENSION_bin (default: the filter's, tier)"},
			&cli.StringFlag{Name: "combine", Usage: "articles with several labels: latest or mean, optionally with oracle=KIND/MODEL to use one oracle's labels (e.g. mean,oracle=gemini/gemini-2.5-flash)"},
			&cli.Float64Flag{Name: "near-threshold", Usage: "near-duplicate similarity, 0-1", DefaultText: "the filter's, 0.8"},
			&cli.BoolFlag{Name: "balance", Usage: "cap each tier of the training set (max_tier_share, 40%) by leaving articles out of training"},
			&cli.Float64Flag{Name: "max-tier-share", Usage: "the cap under --balance", DefaultText: "the filter's, 0.4"},
			&cli.BoolFlag{Name: "fresh", Usage: "ignore the previous split and assign every article anew (the old one stays readable by time travel)"},
		},
		Action: func(c *cli.Context) error {
			f, err := filters.Load(c.String("filter"))
			if err != nil {
				return err
			}
			opts := split.Options{Filter: f, Seed: c.Int("seed"), StratifyBy: c.String("stratify-by"), Combine: c.String("combine"),
				NearThreshold: c.Float64("near-threshold"), Balance: c.Bool("balance"), MaxTierShare: c.Float64("max-tier-share"), Fresh: c.Bool("fresh")}
			if opts.Labels, err = refFlag(c, "labels", f); err != nil {
				return err
			}
			if s := c.String("ratios"); s != "" {
				for _, p := range strings.Split(s, ",") {
					x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
					if err != nil {
						return fmt.Errorf("--ratios %q: %q is not a number", s, p)
					}
					opts.Ratios = append(opts.Ratios, x)
				}
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			res, err := split.Run(c.Context, l, opts)
			if err != nil {
				return err
			}
			return e.printResult(c, res)
		},
	}
}
