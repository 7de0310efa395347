package score

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// Exported says what Export wrote.
type Exported struct {
	Path string `json:"path"`
	Rows int64  `json:"rows"`
}

// Export writes the newest score of every article each filter (by name)
// scored to path, JSON lines (.jsonl) or Parquet (.parquet), one row per
// filter and article with the filter's name first: the file an
// application downstream reads. It writes a temporary file and renames
// it, so a reader never sees half a file.
func Export(ctx context.Context, l *lake.Lake, names []string, path string) (*Exported, error) {
	format, err := formatOf(path)
	if err != nil {
		return nil, err
	}
	sess, err := l.Session(ctx, spec.CorpusNamespace)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	var parts []string
	for i, name := range names {
		rel, snap, err := sess.Relation(ctx, spec.Scores.Ref(&filters.Filter{Name: name}))
		if err != nil {
			return nil, err
		}
		if snap == nil {
			continue
		}
		prod, _, err := productionModel(ctx, sess, &filters.Filter{Name: name})
		if err != nil {
			return nil, err
		}
		if err := sess.Input(ctx, "scores_input", rel); err != nil {
			return nil, err
		}
		tmp := fmt.Sprintf("score_newest_%d", i)
		if err := sess.TempTable(ctx, tmp, "score/newest", lake.Params{"filter": name, "production": prod}); err != nil {
			return nil, err
		}
		parts = append(parts, "SELECT * FROM "+tmp)
	}
	res := &Exported{Path: path}
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: no filter of %v has scores yet", ErrNothingToScore, names)
	}
	query := strings.Join(parts, " UNION ALL BY NAME ") + " ORDER BY filter, id"
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".partial")
	// COPY reports the rows it wrote: the query runs once.
	written, err := sess.Exec(ctx, "COPY ("+query+") TO $path ("+format+")", sql.Named("path", tmp))
	if err == nil {
		res.Rows, err = written.RowsAffected()
	}
	if err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return nil, err
	}
	return res, nil
}

// CheckOut refuses an export path of a format Export cannot write, so
// that a run is refused before it scores, not after.
func CheckOut(path string) error {
	_, err := formatOf(path)
	return err
}

// formatOf is DuckDB's COPY format for the file's extension.
func formatOf(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".json":
		return "FORMAT json", nil
	case ".parquet":
		return "FORMAT parquet, COMPRESSION zstd", nil
	}
	return "", fmt.Errorf("%w: --out %s: want a .jsonl or .parquet file", ErrOptions, path)
}
