package lake

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lakeState is every path under the lake with its content's hash: what
// "the lake is unchanged" compares.
func lakeState(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if strings.HasSuffix(rel, "-wal") || strings.HasSuffix(rel, "-shm") {
			return nil // SQLite's own
		}
		if d.IsDir() {
			out[rel] = "dir"
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[rel] = fmt.Sprintf("%x", sha256.Sum256(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func userQuery(ctx context.Context, l *Lake, q string) (int, error) {
	sess, err := l.Session(ctx, "t")
	if err != nil {
		return 0, err
	}
	defer sess.Close()
	rows, err := sess.QueryUser(ctx, q)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	return n, rows.Err()
}

// TestSession_QueryUserCannotWriteTheLake: every way a user query could
// write inside the lake is refused with ErrUnsafeSQL before anything runs,
// and the lake's files stay as they were; reading the lake's Parquet and
// writing outside it still work.
func TestSession_QueryUserCannotWriteTheLake(t *testing.T) {
	ctx := context.Background()
	l := newLake(t)
	if err := l.EnsureTable(ctx, testTable, Schema{{Name: "id", Type: String, Required: true}, {Name: "n", Type: Long}}); err != nil {
		t.Fatal(err)
	}
	appendRows(t, l, testTable, "a", "b", "c")
	tbl, err := l.loadTable(ctx, testTable)
	if err != nil {
		t.Fatal(err)
	}
	sf, _, err := l.files(ctx, tbl, tbl.CurrentSnapshot(), false)
	if err != nil {
		t.Fatal(err)
	}
	paths := sf.paths
	dataFile := paths[0]
	root := l.Root
	catalogDB := filepath.Join(root, CatalogFile)

	out := t.TempDir() // outside the lake
	if err := os.Symlink(root, filepath.Join(out, "to-lake")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, WarehouseDir), filepath.Join(out, "to-warehouse")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "new.csv"), filepath.Join(out, "dangling")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(catalogDB, filepath.Join(out, "hardlink.db")); err != nil {
		t.Fatal(err)
	}
	evil := filepath.Join(out, "evil.duckdb")
	if err := RunDuckDB(ctx, "ATTACH "+quoteString(evil)+" AS evil",
		"CREATE MACRO evil.m() AS TABLE SELECT * FROM enable_logging(storage = 'file', storage_path = "+quoteString(root)+")"); err != nil {
		t.Fatal(err)
	}
	home := filepath.Dir(root)
	t.Setenv("HOME", home)
	q := quoteString
	attacks := map[string]string{
		"copy over catalog.db":            `COPY (SELECT 1) TO ` + q(catalogDB),
		"copy over a current data file":   `COPY (SELECT * FROM t.items LIMIT 1) TO ` + q(dataFile) + ` (FORMAT parquet)`,
		"copy a table over catalog.db":    `COPY t.items TO ` + q(catalogDB) + ` (FORMAT csv)`,
		"copy into the warehouse":         `COPY (SELECT 1) TO ` + q(filepath.Join(root, WarehouseDir, "x.parquet")),
		"copy into a new lake folder":     `COPY (SELECT 1 AS a) TO ` + q(filepath.Join(root, "junk")) + ` (FORMAT parquet, PARTITION_BY (a))`,
		"copy over a folder holding it":   `COPY (SELECT 1 AS a) TO ` + q(filepath.Dir(root)) + ` (FORMAT parquet, PARTITION_BY (a), OVERWRITE)`,
		"copy through a symlink":          `COPY (SELECT 1) TO ` + q(filepath.Join(out, "to-lake", CatalogFile)),
		"copy with a filename pattern up": `COPY (SELECT 1 AS a) TO ` + q(filepath.Join(out, "pattern")) + ` (FORMAT parquet, FILE_SIZE_BYTES '1kb', FILENAME_PATTERN ` + q(strings.Repeat("../", strings.Count(out, "/")+1)+strings.TrimPrefix(root, "/")+"/x{i}") + `)`,
		"copy with a file extension path": `COPY (SELECT 1 AS a) TO ` + q(filepath.Join(out, "extension")) + ` (FORMAT parquet, FILE_SIZE_BYTES '1kb', FILE_EXTENSION ` + q("/../"+strings.Repeat("../", strings.Count(out, "/"))+strings.TrimPrefix(root, "/")+"/x") + `)`,
		"copy with a pattern expression":  `COPY (SELECT 1 AS a) TO ` + q(filepath.Join(out, "expression")) + ` (FORMAT parquet, FILE_SIZE_BYTES '1kb', FILENAME_PATTERN E` + q("x{i}") + `)`,
		"copy through symlink and ..":     `COPY (SELECT 1) TO ` + q(filepath.Join(out, "to-warehouse")+"/../"+CatalogFile),
		"copy to a dangling symlink":      `COPY (SELECT 1) TO ` + q(filepath.Join(out, "dangling")),
		"copy to a hard link":             `COPY (SELECT 1) TO ` + q(filepath.Join(out, "hardlink.db")),
		"copy with ~":                     `COPY (SELECT 1) TO ` + q("~/"+filepath.Base(root)+"/"+CatalogFile),
		"copy to a file: URL":             `COPY (SELECT 1) TO ` + q("file://"+catalogDB),
		"copy to file:/ path":             `COPY (SELECT 1) TO ` + q("file:"+catalogDB),
		"copy to an expression":           `COPY (SELECT 1) TO (` + q(root) + ` || '/catalog.db')`,
		"copy to joined literals":         "COPY (SELECT 1) TO " + q(out) + "\n" + q("/../"+filepath.Base(out)+"/to-lake/catalog.db"),
		"copy to an E string":             `COPY (SELECT 1) TO E` + q(catalogDB),
		"copy hidden after a statement":   `SELECT 1; COPY (SELECT 1) TO ` + q(catalogDB),
		"copy behind a comment":           `COPY (SELECT 1) TO /* x */ ` + q(catalogDB) + ` -- ` + q(filepath.Join(out, "ok.csv")),
		"explain analyze copy":            `EXPLAIN ANALYZE COPY (SELECT 1) TO ` + q(catalogDB),
		"export into the lake":            `EXPORT DATABASE ` + q(filepath.Join(root, "export")),
		"attach a file in the lake":       `ATTACH ` + q(filepath.Join(root, "x.duckdb")) + ` AS x`,
		"attach the catalog":              `ATTACH ` + q("duckdb:"+catalogDB) + ` AS c`,
		"attach with a view that writes":  `ATTACH ` + q(evil) + ` AS e2`,
		"unlock the configuration":        `SET lock_configuration = false`,
		"move the temp folder":            `SET temp_directory = ` + q(root),
		"set allowed directories":         `SET allowed_directories = [` + q(out) + `]`,
		"reset a setting":                 `RESET home_directory`,
		"pragma a setting":                `PRAGMA temp_directory = ` + q(root),
		"enable file logging":             `CALL enable_logging(storage = 'file', storage_path = ` + q(root) + `)`,
		"enable file logging in a select": `SELECT * FROM enable_logging(storage = 'file', storage_path = ` + q(root) + `)`,
		"dynamic sql":                     `SELECT * FROM query('COPY (SELECT 1) TO ` + strings.ReplaceAll(q(catalogDB), "'", "''") + `')`,
		"import a database":               `IMPORT DATABASE ` + q(out),
		"pragma import":                   `PRAGMA import_database(` + q(out) + `)`,
		"install an extension":            `INSTALL sqlite`,
		"load an extension":               `LOAD ` + q(filepath.Join(out, "x.duckdb_extension")),
		"prepare":                         `PREPARE p AS SELECT 1`,
	}
	before := lakeState(t, root)
	for name, query := range attacks {
		t.Run(name, func(t *testing.T) {
			_, err := userQuery(ctx, l, query)
			t.Logf("%v", err)
			if err == nil {
				t.Fatalf("%s: ran, want it refused", query)
			}
			if name != "unlock the configuration" && !strings.Contains(name, "setting") && name != "move the temp folder" &&
				name != "set allowed directories" && !errors.Is(err, ErrUnsafeSQL) {
				t.Errorf("%s: err = %v, want ErrUnsafeSQL", query, err)
			}
			if got := lakeState(t, root); !equalState(got, before) {
				t.Errorf("%s changed the lake: %v", query, diffState(before, got))
			}
		})
	}
	if _, err := os.Stat(filepath.Join(out, "ok.csv")); err == nil {
		t.Errorf("the refused COPY behind a comment wrote its decoy")
	}

	// What must keep working.
	outCSV := filepath.Join(out, "out.csv")
	// In order: the read_csv reads what the COPY wrote.
	for _, c := range []struct {
		q    string
		want int
	}{
		{`SELECT * FROM read_parquet(` + quoteString(dataFile) + `)`, 3},
		{`SELECT * FROM t.items`, 3},
		{`COPY (SELECT * FROM t.items) TO ` + quoteString(outCSV) + ` (HEADER)`, 1},
		{`SELECT * FROM read_csv(` + quoteString(outCSV) + `)`, 3},
		{`CREATE TABLE m AS SELECT * FROM t.items; SELECT * FROM m WHERE n > 0`, 2},
		{`EXPLAIN SELECT * FROM t.items`, 1},
		{`SHOW TABLES`, 1},
		{`COPY (SELECT 1 AS x) TO ` + quoteString(filepath.Join(out, "it's.csv")), 1},
		{`SELECT 'COPY (SELECT 1) TO ` + strings.ReplaceAll(catalogDB, "'", "''") + `'`, 1},
		{`ATTACH ` + quoteString(filepath.Join(out, "side.duckdb")) + ` AS side; CREATE TABLE side.x AS SELECT 1 AS a; SELECT * FROM side.x`, 1},
	} {
		got, err := userQuery(ctx, l, c.q)
		if err != nil {
			t.Errorf("%s: %v", c.q, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s: %d rows, want %d", c.q, got, c.want)
		}
	}
	wd, _ := os.Getwd()
	t.Cleanup(func() { os.Chdir(wd) })
	// Relative paths resolve against the working directory.
	if err := os.Chdir(root); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`COPY (SELECT 1) TO 'catalog.db'`, `COPY (SELECT 1) TO 'warehouse/../catalog.db'`, `COPY (SELECT 1) TO 'new.csv'`} {
		if _, err := userQuery(ctx, l, q); !errors.Is(err, ErrUnsafeSQL) {
			t.Errorf("from inside the lake, %s: err = %v, want ErrUnsafeSQL", q, err)
		}
	}
	if err := os.Chdir(out); err != nil {
		t.Fatal(err)
	}
	if _, err := userQuery(ctx, l, `COPY (SELECT 1) TO 'rel.csv'`); err != nil {
		t.Errorf("a relative path outside the lake: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "rel.csv")); err != nil {
		t.Errorf("COPY to a relative path wrote nothing there: %v", err)
	}
	if _, err := userQuery(ctx, l, `COPY (SELECT 1) TO 'to-lake/catalog.db'`); !errors.Is(err, ErrUnsafeSQL) {
		t.Errorf("relative path through a symlink: err = %v, want ErrUnsafeSQL", err)
	}
	if got := lakeState(t, root); !equalState(got, before) {
		t.Errorf("the lake changed: %v", diffState(before, got))
	}
}

func equalState(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func diffState(before, after map[string]string) []string {
	var out []string
	for k, v := range after {
		if before[k] == "" {
			out = append(out, "new "+k)
		} else if before[k] != v {
			out = append(out, "changed "+k)
		}
	}
	for k := range before {
		if after[k] == "" {
			out = append(out, "gone "+k)
		}
	}
	return out
}
