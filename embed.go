// Package distillery holds what the whole module shares: the SQL files under
// sql/, embedded. Curation, splitting, statistics, diffs and evaluation are
// written as those files, one per thing computed; the stages run them with
// SQL("dir/name") through a lake.Session.
package distillery

import (
	"embed"
	"strings"
)

//go:embed sql
var sqlFiles embed.FS

// SQL returns the text of sql/<name>.sql, e.g. SQL("split/assign_stratified").
// A name with no file returns a statement that fails with the name in its
// message, so a typo surfaces as a DuckDB error, never as a panic.
func SQL(name string) string {
	b, err := sqlFiles.ReadFile("sql/" + name + ".sql")
	if err != nil {
		return "SELECT error('distillery: no file sql/" + strings.ReplaceAll(name, "'", "''") + ".sql')"
	}
	return string(b)
}

// SQLNames lists every embedded SQL file as the name SQL takes.
func SQLNames() []string {
	var out []string
	var walk func(dir string)
	walk = func(dir string) {
		entries, _ := sqlFiles.ReadDir(dir)
		for _, e := range entries {
			p := dir + "/" + e.Name()
			if e.IsDir() {
				walk(p)
			} else if strings.HasSuffix(p, ".sql") {
				out = append(out, strings.TrimSuffix(strings.TrimPrefix(p, "sql/"), ".sql"))
			}
		}
	}
	walk("sql")
	return out
}
