package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
)

func recoverCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "recover",
		Usage: "re-register every table of warehouse/ in a lost or empty catalog.db, each from its newest metadata file",
		Description: "Use it when catalog.db was deleted, emptied or replaced: the tables' history, snapshots and tags\n" +
			"are in warehouse/ and come back as they were. It is safe to run twice; a catalog that registers a\n" +
			"table at another metadata file is refused and left unchanged.",
		Flags: []cli.Flag{lakeFlag, jsonFlag},
		Action: func(c *cli.Context) error {
			res, err := lake.Recover(c.Context, lakeDir(c))
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return e.printJSON(res)
			}
			for _, m := range res.MovedAside {
				fmt.Fprintf(e.stdout, "moved the corrupt catalog aside: %s (kept, not deleted)\n", m)
			}
			for _, t := range res.Tables {
				what := "registered"
				if t.Already {
					what = "already registered"
				}
				tags := ""
				if len(t.Tags) > 0 {
					tags = ", tags " + strings.Join(t.Tags, " ")
				}
				fmt.Fprintf(e.stdout, "%s %s: %s, %s%s (from %s)\n", what, t.Name, human.Plural(int64(t.Snapshots), "snapshot"), human.Plural(int64(t.Rows), "row"), tags, t.Metadata)
				for _, s := range t.Skipped {
					fmt.Fprintf(e.stdout, "  passed over %s (unreadable, or its manifest list is missing)\n", s)
				}
			}
			fmt.Fprintf(e.stdout, "recover: %s registered, %d already registered, in lake %s\n", human.Plural(int64(res.Registered()), "table"), len(res.Tables)-res.Registered(), res.Root)
			return nil
		},
	}
}
