package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/lake"
)

// lakeCommand groups the commands that work on the lake as a whole.
func lakeCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "lake",
		Usage:       "work on the lake as a whole: distill lake migrate",
		Subcommands: []*cli.Command{lakeMigrateCommand(e)},
	}
}

// lakeMigrateCommand is `distill lake migrate --catalog URL --warehouse DIR`.
func lakeMigrateCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "migrate",
		Usage: "move the lake from DIR/catalog.db and DIR/warehouse to a PostgreSQL catalog and another warehouse, every snapshot and tag kept",
		Description: "Copies every table's files into --warehouse, a folder or s3://BUCKET/PREFIX (endpoint, region and keys from the AWS environment;\n" +
			"paths rewritten), registers the tables in the empty catalog --catalog,\n" +
			"verifies every snapshot, ref and tag (row counts and column checksums), then points DIR at the new catalog (DIR/catalog.json)\n" +
			"and keeps DIR/catalog.db as catalog.db.migrated-TIME. The source's files are not changed. A run that was stopped resumes when rerun.",
		Flags: []cli.Flag{lakeFlag, catalogFlag, warehouseFlag, jsonFlag},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("lake migrate takes no arguments (got %q): give --lake DIR --catalog URL --warehouse DIR|s3://BUCKET/PREFIX", c.Args().First())
			}
			o := lakeOptions(c)
			if o.Catalog == "" {
				return fmt.Errorf("lake migrate needs --catalog postgres://USER@HOST:PORT/DATABASE: the empty PostgreSQL catalog the lake moves to")
			}
			dir := lakeDir(c)
			mo := lake.MigrateOptions{Catalog: o.Catalog, Warehouse: o.Warehouse}
			if !c.Bool("json") {
				mo.Progress = func(msg string) { fmt.Fprintln(e.stderr, msg) }
			}
			res, err := lake.Migrate(c.Context, dir, mo)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return e.printJSON(res)
			}
			printMigrate(e, res)
			return nil
		},
	}
}

func printMigrate(e *env, r *lake.MigrateResult) {
	w := e.stdout
	if r.Already {
		fmt.Fprintf(w, "lake %s was already migrated to catalog %s, warehouse %s (%s names it): nothing to do\n", r.Source, r.Catalog, r.Warehouse, r.Pointer)
		if r.Backup != "" {
			fmt.Fprintf(w, "  the old catalog is kept as %s\n", r.Backup)
		}
		return
	}
	verb := "migrated"
	if r.Resumed {
		verb = "migrated (resumed an interrupted run)"
	}
	fmt.Fprintf(w, "%s lake %s to catalog %s, warehouse %s\n", verb, r.Source, r.Catalog, r.Warehouse)
	fmt.Fprintf(w, "  %d tables, %d snapshots, %d tags, %d files (%d written now), %d bytes, %.1f s\n",
		len(r.Tables), r.Snapshots, r.Tags, r.Files, r.Copied, r.Bytes, r.Seconds)
	fmt.Fprintln(w, "  verified: every table's snapshot ids and refs, and the row count and column checksums of its current snapshot and each tag")
	fmt.Fprintf(w, "  %s now names the new catalog: `distill --lake %s ...` opens the migrated lake\n", r.Pointer, r.Source)
	switch {
	case r.Backup != "" && r.InPlace:
		fmt.Fprintf(w, "  the old catalog is kept as %s; the tables' files stayed in %s, shared by both: once the new lake expires or compacts, the old catalog no longer reads whole\n", r.Backup, r.Warehouse)
	case r.Backup != "":
		fmt.Fprintf(w, "  the old catalog is kept, unchanged, as %s (its warehouse files are untouched)\n", r.Backup)
	}
	fmt.Fprintf(w, "  %s stay in %s: they are per folder; other machines need this folder on a shared mount\n", strings.Join(r.PerFolder, ", "), r.Source)
}
