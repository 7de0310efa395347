package main

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
)

var yesFlag = &cli.BoolFlag{Name: "yes", Usage: "do it (without --yes the command only says what it would do)"}

// errNeedsYes ends a command that was only told to show what it would do,
// and had something to do; more says what else the user may add.
func errNeedsYes(more string) error {
	return fmt.Errorf("nothing changed: add --yes to do it%s", more)
}

func rollbackCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "rollback",
		Usage:     "make an earlier (or later) snapshot of a table its current one: distill rollback ns.table N --yes",
		ArgsUsage: "TABLE N",
		Flags:     []cli.Flag{lakeFlag, jsonFlag, yesFlag},
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return fmt.Errorf("rollback takes TABLE and a sequence number N (see `distill snapshots TABLE`)")
			}
			name, err := lake.ParseTableName(c.Args().Get(0), "")
			if err != nil {
				return err
			}
			seq, err := strconv.ParseInt(strings.TrimPrefix(c.Args().Get(1), "@"), 10, 64)
			if err != nil || seq < 1 {
				return fmt.Errorf("rollback: %q is not a sequence number (1, 2, …)", c.Args().Get(1))
			}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			cur, err := l.Current(c.Context, name)
			if err != nil {
				return err
			}
			to, err := l.Resolve(c.Context, lake.Ref{TableName: name, At: strconv.FormatInt(seq, 10)})
			if err != nil {
				return err
			}
			out := struct {
				Table      string `json:"table"`
				From       int64  `json:"from"`
				To         int64  `json:"to"`
				RowsBefore int64  `json:"rows_before"`
				RowsAfter  int64  `json:"rows_after"`
				Committed  bool   `json:"committed"`
			}{Table: name.String(), To: to.Seq, RowsAfter: to.TotalRows}
			if cur != nil {
				out.From, out.RowsBefore = cur.Seq, cur.TotalRows
			}
			if cur != nil && cur.ID == to.ID {
				if c.Bool("json") {
					return e.printJSON(out)
				}
				fmt.Fprintf(e.stdout, "%s is already at @%d: nothing to roll back\n", name, seq)
				return nil
			}
			if c.Bool("yes") {
				if _, err := l.Rollback(c.Context, name, seq); err != nil && !errors.Is(err, lake.ErrAlreadyCurrent) {
					return err
				}
				out.Committed = true
			}
			switch {
			case c.Bool("json"):
				if err := e.printJSON(out); err != nil {
					return err
				}
			case out.Committed:
				fmt.Fprintf(e.stdout, "rolled back %s: @%d (%s) -> @%d (%s); @%d stays readable as \"%s@%d\" until expired\n",
					name, out.From, human.Plural(int64(out.RowsBefore), "row"), out.To, human.Plural(int64(out.RowsAfter), "row"), out.From, name, out.From)
			default:
				fmt.Fprintf(e.stdout, "would roll back %s: @%d (%s) -> @%d (%s)\n", name, out.From, human.Plural(int64(out.RowsBefore), "row"), out.To, human.Plural(int64(out.RowsAfter), "row"))
			}
			if !out.Committed {
				return errNeedsYes("")
			}
			return nil
		},
	}
}

type expireJSON struct {
	Table        string  `json:"table"`
	Expired      []int64 `json:"expired"`
	Held         []int64 `json:"held"`
	Remaining    int     `json:"remaining"`
	FilesDeleted int     `json:"files_deleted"`
	BytesFreed   int64   `json:"bytes_freed"`
	DryRun       bool    `json:"dry_run"`
}

func expireCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "expire",
		Usage: "remove old snapshots (never tagged or current ones) and the files nothing else reads",
		Description: "Snapshots committed longer ago than --older-than are removed, except the current one, tagged ones\n" +
			"and the newest --retain-last. Files no remaining snapshot reads are then deleted once older than --grace\n" +
			"(and their snapshot stopped being current at least --grace ago), so queries in flight finish first.",
		Flags: []cli.Flag{lakeFlag, jsonFlag, yesFlag,
			&cli.StringFlag{Name: "older-than", Required: true, Usage: "age of the snapshots to expire: a Go duration (168h) or days (7d)"},
			&cli.StringFlag{Name: "table", Usage: "only this table (ns.table); default every table"},
			&cli.IntFlag{Name: "retain-last", Value: 1, Usage: "always keep this many of the newest snapshots"},
			&cli.StringFlag{Name: "grace", Value: "1h", Usage: "leave files and just-superseded snapshots younger than this (0: none, only when nothing else uses the lake)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "only say what would be expired and deleted"},
		},
		Action: func(c *cli.Context) error {
			age, err := parseAge(c.String("older-than"))
			if err != nil {
				return fmt.Errorf("--older-than: %w", err)
			}
			grace, err := parseAge(c.String("grace"))
			if err != nil {
				return fmt.Errorf("--grace: %w", err)
			}
			if grace == 0 {
				grace = -1 // lake: negative is none, 0 the default
			}
			if c.Int("retain-last") < 1 {
				return fmt.Errorf("--retain-last must be at least 1")
			}
			opts := lake.ExpireOptions{OlderThan: age, RetainLast: c.Int("retain-last"), Grace: grace,
				DryRun: c.Bool("dry-run") || !c.Bool("yes")}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			var results []lake.ExpireResult
			if t := c.String("table"); t != "" {
				name, err := lake.ParseTableName(t, "")
				if err != nil {
					return err
				}
				r, err := l.Expire(c.Context, name, opts)
				if err != nil {
					return err
				}
				results = append(results, r)
			} else if results, err = l.ExpireAll(c.Context, opts); err != nil {
				return err
			}
			idle := !slices.ContainsFunc(results, func(r lake.ExpireResult) bool { return len(r.Expired) > 0 || r.FilesDeleted > 0 })
			if c.Bool("json") {
				out := make([]expireJSON, 0, len(results))
				for _, r := range results {
					out = append(out, expireJSON{r.Table.String(), nonNil(r.Expired), nonNil(r.Held), r.Remaining, r.FilesDeleted, r.BytesFreed, r.DryRun})
				}
				if err := e.printJSON(out); err != nil {
					return err
				}
			} else {
				for _, r := range results {
					fmt.Fprintln(e.stdout, expireLine(r, c.String("grace")))
				}
				if idle {
					fmt.Fprintln(e.stdout, "nothing to expire")
				}
			}
			// A plan with nothing in it refuses nothing: --yes would change nothing either.
			if !idle && !c.Bool("dry-run") && !c.Bool("yes") {
				return errNeedsYes(" (or --dry-run to only see the plan)")
			}
			return nil
		},
	}
}

func expireLine(r lake.ExpireResult, grace string) string {
	verb, del := "expired", "deleted"
	if r.DryRun {
		verb, del = "would expire", "would delete"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: ", r.Table)
	if len(r.Expired) == 0 {
		fmt.Fprintf(&b, "no snapshot to expire (%d kept)", r.Remaining)
	} else {
		fmt.Fprintf(&b, "%s %s (%d kept)", verb, seqList(r.Expired), r.Remaining)
	}
	if r.FilesDeleted > 0 {
		fmt.Fprintf(&b, "; %s %s, %s", del, human.Plural(int64(r.FilesDeleted), "unreferenced file"), byteSize(r.BytesFreed))
	}
	if len(r.Held) > 0 {
		fmt.Fprintf(&b, "; %s held: current less than %s ago", seqList(r.Held), grace)
	}
	return b.String()
}

type compactJSON struct {
	Table       string  `json:"table"`
	FilesBefore int     `json:"files_before"`
	FilesAfter  int     `json:"files_after"`
	Rewritten   int     `json:"files_rewritten"`
	Rows        int64   `json:"rows"`
	BytesBefore int64   `json:"bytes_before"`
	BytesAfter  int64   `json:"bytes_after"`
	Snapshot    *int64  `json:"snapshot"`
	Seconds     float64 `json:"seconds"`
	DryRun      bool    `json:"dry_run"`
	// Delete files (merge-on-read deletes another engine wrote) compaction
	// applied and dropped, and the rows they deleted.
	DeleteFilesBefore int   `json:"delete_files_before"`
	DeleteFilesAfter  int   `json:"delete_files_after"`
	DeletedRows       int64 `json:"deleted_rows"`
}

func compactCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "compact",
		Usage:     "rewrite a table's small data files into big ones, as one new snapshot with the same rows",
		ArgsUsage: "[TABLE]",
		Flags: []cli.Flag{lakeFlag, jsonFlag,
			&cli.BoolFlag{Name: "dry-run", Usage: "only say which files would be rewritten"},
		},
		Action: func(c *cli.Context) error {
			opts := lake.CompactOptions{DryRun: c.Bool("dry-run")}
			l, err := e.openLake(c)
			if err != nil {
				return err
			}
			defer l.Close()
			var results []lake.CompactResult
			if c.NArg() > 0 {
				name, err := lake.ParseTableName(c.Args().First(), "")
				if err != nil {
					return err
				}
				r, err := l.Compact(c.Context, name, opts)
				if err != nil {
					return err
				}
				results = append(results, r)
			} else if results, err = l.CompactAll(c.Context, opts); err != nil {
				return err
			}
			if c.Bool("json") {
				out := make([]compactJSON, 0, len(results))
				for _, r := range results {
					cj := compactJSON{r.Table.String(), r.FilesBefore, r.FilesAfter, r.Rewritten, r.Rows, r.BytesBefore, r.BytesAfter, nil, r.Elapsed.Seconds(), r.DryRun,
						r.DeleteFilesBefore, r.DeleteFilesAfter, r.Deleted}
					if r.Snapshot != nil {
						cj.Snapshot = &r.Snapshot.Seq
					}
					out = append(out, cj)
				}
				return e.printJSON(out)
			}
			for _, r := range results {
				deletes := ""
				if r.DeleteFilesBefore > 0 && r.Rewritten > 0 {
					deletes = fmt.Sprintf("; %s applied: %s deleted", human.Plural(int64(r.DeleteFilesBefore-r.DeleteFilesAfter), "delete file"), human.Plural(r.Deleted, "row"))
					if r.DryRun {
						deletes = fmt.Sprintf("; would apply %s: at most %s deleted", human.Plural(int64(r.DeleteFilesBefore), "delete file"), human.Plural(r.Deleted, "row"))
					}
				}
				switch {
				case r.Rewritten == 0:
					fmt.Fprintf(e.stdout, "%s: %s, nothing to compact\n", r.Table, human.Plural(int64(r.FilesBefore), "file"))
				case r.DryRun:
					fmt.Fprintf(e.stdout, "%s: %s -> about %d (would rewrite %s, %s, %s%s)\n",
						r.Table, human.Plural(int64(r.FilesBefore), "file"), r.FilesAfter, human.Plural(int64(r.Rewritten), "small file"), byteSize(r.BytesBefore), human.Plural(int64(r.Rows), "row"), deletes)
				default:
					fmt.Fprintf(e.stdout, "%s: %s -> %d (%s, %s -> %s%s) in %s as @%d\n", r.Table, human.Plural(int64(r.FilesBefore), "file"), r.FilesAfter,
						human.Plural(int64(r.Rows), "row"), byteSize(r.BytesBefore), byteSize(r.BytesAfter), deletes, r.Elapsed.Round(time.Millisecond), r.Snapshot.Seq)
				}
			}
			return nil
		},
	}
}

// parseAge reads a Go duration (90m, 168h) or a number of days (7d, 1.5d).
func parseAge(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(d, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q is not a number of days (e.g. 7d)", s)
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	age, err := time.ParseDuration(s)
	if err != nil || age < 0 {
		return 0, fmt.Errorf("%q is not a duration (e.g. 168h, 30m or 7d)", s)
	}
	return age, nil
}

func seqList(seqs []int64) string {
	parts := make([]string, len(seqs))
	for i, s := range seqs {
		parts[i] = "@" + strconv.FormatInt(s, 10)
	}
	return strings.Join(parts, ", ")
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func nonNil(s []int64) []int64 {
	if s == nil {
		return []int64{}
	}
	return s
}
