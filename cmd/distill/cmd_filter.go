package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/internal/progress"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/prefilter"
)

var filterFlag = &cli.StringFlag{Name: "filter", Usage: "filter package directory, e.g. filters/uplifting/v1", Required: true}

func filterCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "filter",
		Usage: "create and check filter packages",
		Subcommands: []*cli.Command{
			{
				Name:      "validate",
				Usage:     "check a filter package; exits non-zero naming every wrong file and field",
				ArgsUsage: "DIR...",
				Action: func(c *cli.Context) error {
					if c.NArg() == 0 {
						return fmt.Errorf("filter validate takes one or more package directories")
					}
					var failed []error
					for _, dir := range c.Args().Slice() {
						f, err := filters.Load(dir)
						if err != nil {
							failed = append(failed, err)
							fmt.Fprintf(e.stderr, "%s: invalid\n%v\n", dir, err)
							continue
						}
						fmt.Fprintf(e.stdout, "%s: ok: %s v%d, %s, %s, sha256 %s\n", dir, f.Name, f.Version, human.Plural(int64(len(f.Dimensions)), "dimension"), human.Plural(int64(len(f.Tiers)), "tier"), f.SHA256[:12])
					}
					if len(failed) > 0 {
						return fmt.Errorf("invalid: %d of %s", len(failed), human.Plural(int64(c.NArg()), "filter package"))
					}
					return nil
				},
			},
			{
				Name:      "new",
				Usage:     "scaffold a valid filter package to edit: filters/NAME/v1",
				ArgsUsage: "NAME",
				Flags:     []cli.Flag{&cli.StringFlag{Name: "dir", Value: "filters", Usage: "where filter packages live"}},
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return fmt.Errorf("filter new takes a NAME")
					}
					pkg, err := filters.Scaffold(c.String("dir"), c.Args().First())
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "created %s (filter.yaml, prompt.md, README.md): edit it (its keywords are placeholders for your topic's words), then run `distill filter validate %s`\n", pkg, pkg)
					return nil
				},
			},
		},
	}
}

func prefilterCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "prefilter",
		Usage: "decide every raw article with the filter's cheap rules: <filter>.prefiltered",
		Flags: []cli.Flag{lakeFlag, jsonFlag, filterFlag,
			&cli.BoolFlag{Name: "full", Usage: "decide every article again (a new snapshot replacing the table)"},
			&cli.StringFlag{Name: "raw", Value: spec.Raw.For(nil).String(), Usage: "input table, e.g. corpus.raw@3"},
			&cli.StringFlag{Name: "what-if", Usage: "another version of the filter: report what would flip, write nothing"},
		},
		Action: func(c *cli.Context) error {
			f, err := filters.Load(c.String("filter"))
			if err != nil {
				return err
			}
			raw, err := lake.ParseRef(c.String("raw"), f.Namespace())
			if err != nil {
				return err
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			if other := c.String("what-if"); other != "" {
				of, err := filters.Load(other)
				if err != nil {
					return err
				}
				res, err := prefilter.WhatIf(c.Context, l, f, of, raw)
				if err != nil {
					return err
				}
				if c.Bool("json") {
					return e.printJSON(res)
				}
				w := e.stdout
				fmt.Fprintf(w, "what-if %s -> %s on %s (nothing written):\n", c.String("filter"), other, human.Plural(int64(res.Articles), "article"))
				fmt.Fprintf(w, "  passed: %d -> %d; %d blocked would pass, %d passed would be blocked\n", res.PassedBefore, res.PassedAfter, res.ToPassed, res.ToBlocked)
				for _, r := range res.Reasons[:min(len(res.Reasons), 8)] {
					fmt.Fprintf(w, "  %6d  now %s\n", r.N, r.Reason)
				}
				if len(res.BlockedBy) > 0 {
					fmt.Fprintf(w, "  would be %s\n", prefilter.BlockedLine(res.BlockedBy))
				}
				for _, t := range res.ByTier {
					fmt.Fprintf(w, "  labeled %-18s %d would pass, %d would be blocked\n", t.Tier+":", t.ToPassed, t.ToBlocked)
				}
				if len(res.Examples) > 0 {
					fmt.Fprintf(w, "  e.g. %s\n", strings.Join(res.Examples, ", "))
				}
				for _, wn := range res.Warnings {
					fmt.Fprintf(w, "  warning: %s\n", wn)
				}
				return nil
			}
			bar := progress.Start(e.stderr, "prefilter", false)
			res, err := prefilter.Run(c.Context, l, prefilter.Options{Filter: f, Raw: raw, Full: c.Bool("full")})
			bar.Done()
			if err != nil {
				return err
			}
			return e.printResult(c, res)
		},
	}
}

func compressCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "compress",
		Usage:     "cut passed articles down to the exact model input: <filter>.compressed",
		ArgsUsage: "[--what-if [OTHER_FILTER_DIR]]",
		Flags: []cli.Flag{lakeFlag, jsonFlag, filterFlag,
			&cli.BoolFlag{Name: "full", Usage: "render every passed article again (a new snapshot replacing the table)"},
			&cli.BoolFlag{Name: "what-if", Usage: "write nothing: show what the learned boilerplate cuts from the compressed articles (or, given OTHER_FILTER_DIR, what that filter's compression changes)"},
			&cli.IntFlag{Name: "sample", Value: compress.WhatIfSample, Usage: "articles --what-if shows"},
		},
		Action: func(c *cli.Context) error {
			f, err := filters.Load(c.String("filter"))
			if err != nil {
				return err
			}
			if c.NArg() > 0 && !c.Bool("what-if") || c.NArg() > 1 {
				return fmt.Errorf("compress takes no arguments but OTHER_FILTER_DIR after --what-if; got %q", c.Args().Slice())
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			if c.Bool("what-if") {
				return e.compressWhatIf(c, l, f)
			}
			res, err := compress.Run(c.Context, l, compress.Options{Filter: f, Full: c.Bool("full")})
			if err != nil {
				return err
			}
			return e.printResult(c, res)
		},
	}
}

// compressWhatIf prints compress.WhatIf: today's rules against the learned
// boilerplate, or the filter against the one named after --what-if.
func (e *env) compressWhatIf(c *cli.Context, l *lake.Lake, f *filters.Filter) error {
	opts := compress.WhatIfOptions{Filter: f, Sample: c.Int("sample"), Estimator: label.Estimator{Filter: f}}
	other := c.Args().First()
	if other != "" {
		of, err := filters.Load(other)
		if err != nil {
			return err
		}
		opts.Other = of
	}
	res, err := compress.WhatIf(c.Context, l, opts)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return e.printJSON(res)
	}
	w := e.stdout
	vs := "the rules alone -> with the learned boilerplate"
	if other != "" {
		vs = c.String("filter") + " -> " + other
	}
	fmt.Fprintf(w, "what-if %s on %s: %s (nothing written)\n", vs, res.Compressed, human.Plural(res.Articles, "article"))
	fmt.Fprintf(w, "  before: %s\n  after:  %s\n", res.Before, res.After)
	if res.BoilerplateSeq > 0 {
		fmt.Fprintf(w, "  boilerplate: %s@%d", spec.Boilerplate.For(nil), res.BoilerplateSeq)
		if res.LearnedInMemory > 0 {
			fmt.Fprintf(w, ", %s learned again here as compress would", human.Plural(res.LearnedInMemory, "source"))
		}
		fmt.Fprintln(w)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	fmt.Fprintf(w, "  texts changed: %d of %d\n", res.Changed, res.Articles)
	fmt.Fprintf(w, "  words per article: %.1f -> %.1f\n", res.MeanWordsBefore, res.MeanWordsAfter)
	fmt.Fprintf(w, "  oracle input tokens: %d -> %d (%s)\n", res.TokensBefore, res.TokensAfter, human.Signed(float64(res.TokensAfter-res.TokensBefore), 0))
	if res.Priced {
		fmt.Fprintf(w, "  labeling them once with %s: $%.4f -> $%.4f (%s)\n", res.Model, res.CostBefore, res.CostAfter, dollarsSaved(res.CostBefore-res.CostAfter))
	} else {
		fmt.Fprintf(w, "  labeling them once with %s: no price known (set oracle.prices in %s)\n", res.Model, filters.ConfigFile)
	}
	_, ansi := progress.Terminal(w)
	for _, s := range res.Sample {
		fmt.Fprintf(w, "\n%s (%s): %d -> %d words, %d -> %d oracle tokens (%s)\n", s.ID, s.Source, s.WordsBefore, s.WordsAfter, s.TokensBefore, s.TokensAfter, human.Signed(float64(s.TokensAfter-s.TokensBefore), 0))
		writeMarked(w, s.Pieces, ansi)
	}
	if len(res.Sample) > 0 {
		cut := "⟦removed⟧"
		if ansi {
			cut = markStyle[compress.Cut] + "removed" + ansiReset
		}
		fmt.Fprintf(w, "\n%s before the head and tail are chosen; ⟪kept⟫ text the first settings removed\n", cut)
	}
	return nil
}

// markStyle is how a terminal shows each mark: removed text struck through
// and dim, restored text underlined, the elision dim.
var markStyle = map[compress.Mark]string{compress.Cut: "\x1b[2;9m", compress.Restored: "\x1b[4m", compress.Elided: "\x1b[2m"}

const ansiReset = "\x1b[0m"

// writeMarked writes a marked text wrapped to 100 columns, indented: with
// ⟦ ⟧ and ⟪ ⟫ around marked words, or terminal styles with ansi.
func writeMarked(w io.Writer, pieces []compress.Piece, ansi bool) {
	const width, indent = 100, "    "
	col := 0
	word := func(plain, shown string) {
		n := utf8.RuneCountInString(plain)
		switch {
		case col == 0:
			fmt.Fprint(w, indent)
			col = len(indent)
		case col+1+n > width:
			fmt.Fprint(w, "\n"+indent)
			col = len(indent)
		default:
			fmt.Fprint(w, " ")
			col++
		}
		fmt.Fprint(w, shown)
		col += n
	}
	for _, p := range pieces {
		if p.Mark == compress.Elided {
			text := "… " + p.Text + " …"
			shown := text
			if ansi {
				shown = markStyle[p.Mark] + text + ansiReset
			}
			word(text, shown)
			continue
		}
		words := strings.Fields(p.Text)
		for i, wd := range words {
			switch {
			case ansi && p.Mark != compress.Kept:
				word(wd, markStyle[p.Mark]+wd+ansiReset)
				continue
			case p.Mark == compress.Cut:
				wd = bracket(wd, i, len(words), "⟦", "⟧")
			case p.Mark == compress.Restored:
				wd = bracket(wd, i, len(words), "⟪", "⟫")
			}
			word(wd, wd)
		}
	}
	if col > 0 {
		fmt.Fprintln(w)
	}
}

// bracket puts open before the first of n words and close after the last.
func bracket(wd string, i, n int, open, close string) string {
	if i == 0 {
		wd = open + wd
	}
	if i == n-1 {
		wd += close
	}
	return wd
}

// dollarsSaved says what a change saves, or costs when negative.
func dollarsSaved(d float64) string {
	if d < 0 {
		return fmt.Sprintf("costs $%.4f more", -d)
	}
	return fmt.Sprintf("saves $%.4f", d)
}
