package evaluate

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/distillery/distillery/internal/human"
	"github.com/distillery/distillery/lake"
)

// File is a predictions file: a student's and the oracle's scores of the
// same articles, one row per article and one column per dimension, as the
// reference project writes test_set_predictions.json.
type File struct {
	Predictions [][]float64
	Labels      [][]float64
	Dimensions  []string
	// ArticleIDs default to the row numbers when the file has none.
	ArticleIDs []string
}

// ReadFile reads and validates a predictions file.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &FileError{File: path, Msg: "cannot read: " + err.Error()}
	}
	return ParseFile(path, data)
}

// ParseFile validates a predictions file's JSON: every error names the
// field and index at fault.
func ParseFile(name string, data []byte) (*File, error) {
	bad := func(field, format string, a ...any) error {
		return &FileError{File: name, Field: field, Msg: fmt.Sprintf(format, a...)}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, bad("", "not a JSON object: %v", err)
	}
	for _, k := range []string{"predictions", "labels", "dimension_names"} {
		if _, ok := top[k]; !ok {
			return nil, bad(k, "missing")
		}
	}
	f := &File{}
	var names []json.RawMessage
	if err := json.Unmarshal(top["dimension_names"], &names); err != nil || names == nil {
		return nil, bad("dimension_names", "want a list of names")
	}
	if len(names) == 0 {
		return nil, bad("dimension_names", "is empty")
	}
	seen := map[string]bool{}
	for i, raw := range names {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || strings.TrimSpace(s) == "" {
			return nil, bad(fmt.Sprintf("dimension_names[%d]", i), "%s is not a name", excerpt(raw))
		}
		if s == "overall" || s == "_all" {
			return nil, bad(fmt.Sprintf("dimension_names[%d]", i), "%q is reserved for the pooled metrics: rename the dimension", s)
		}
		if seen[s] {
			return nil, bad(fmt.Sprintf("dimension_names[%d]", i), "%q is a duplicate", s)
		}
		seen[s] = true
		f.Dimensions = append(f.Dimensions, s)
	}
	var err error
	if f.Predictions, err = matrix(name, "predictions", top["predictions"], len(f.Dimensions)); err != nil {
		return nil, err
	}
	if f.Labels, err = matrix(name, "labels", top["labels"], len(f.Dimensions)); err != nil {
		return nil, err
	}
	if len(f.Labels) != len(f.Predictions) {
		return nil, bad("labels", "%s, but predictions has %d: want one row per article in both", human.Plural(int64(len(f.Labels)), "row"), len(f.Predictions))
	}
	if raw, ok := top["article_ids"]; ok && string(bytes.TrimSpace(raw)) != "null" {
		var ids []json.RawMessage
		if err := json.Unmarshal(raw, &ids); err != nil {
			return nil, bad("article_ids", "want a list of ids")
		}
		if len(ids) != len(f.Predictions) {
			return nil, bad("article_ids", "%s, but predictions has %s", human.Plural(int64(len(ids)), "id"), human.Plural(int64(len(f.Predictions)), "row"))
		}
		for i, raw := range ids {
			var s string
			if err := json.Unmarshal(raw, &s); err == nil {
				f.ArticleIDs = append(f.ArticleIDs, s)
			} else if _, err := strconv.ParseFloat(string(raw), 64); err == nil {
				f.ArticleIDs = append(f.ArticleIDs, string(raw))
			} else {
				return nil, bad(fmt.Sprintf("article_ids[%d]", i), "%s is not an id (a string or a number)", excerpt(raw))
			}
		}
	} else {
		for i := range f.Predictions {
			f.ArticleIDs = append(f.ArticleIDs, strconv.Itoa(i))
		}
	}
	return f, nil
}

// matrix decodes field as rows of width numbers each.
func matrix(name, field string, raw json.RawMessage, width int) ([][]float64, error) {
	bad := func(f, format string, a ...any) error {
		return &FileError{File: name, Field: f, Msg: fmt.Sprintf(format, a...)}
	}
	var rows []json.RawMessage
	if err := json.Unmarshal(raw, &rows); err != nil || rows == nil {
		return nil, bad(field, "want a list of rows (one list of numbers per article)")
	}
	if len(rows) == 0 {
		return nil, bad(field, "has no rows")
	}
	out := make([][]float64, len(rows))
	for i, r := range rows {
		var vals []json.RawMessage
		if err := json.Unmarshal(r, &vals); err != nil || vals == nil {
			return nil, bad(fmt.Sprintf("%s[%d]", field, i), "%s is not a list of numbers", excerpt(r))
		}
		if len(vals) != width {
			return nil, bad(fmt.Sprintf("%s[%d]", field, i), "%s, want %d (one per dimension_names)", human.Plural(int64(len(vals)), "value"), width)
		}
		out[i] = make([]float64, width)
		for j, v := range vals {
			s := string(bytes.TrimSpace(v))
			x, err := strconv.ParseFloat(s, 64)
			if err != nil || s == "" || s[0] != '-' && (s[0] < '0' || s[0] > '9') {
				return nil, bad(fmt.Sprintf("%s[%d][%d]", field, i, j), "%s is not a number", excerpt(v))
			}
			out[i][j] = x
		}
	}
	return out, nil
}

func excerpt(raw json.RawMessage) string {
	s := string(bytes.TrimSpace(raw))
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}

// RunFile evaluates a predictions file with the SQL that evaluates a lake
// (sql/eval/dimension_errors.sql, spearman.sql), in a scratch DuckDB session.
func RunFile(ctx context.Context, path string) (*FileResult, error) {
	f, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return EvaluateFile(ctx, path, f)
}

// EvaluateFile computes the metrics of a parsed predictions file.
func EvaluateFile(ctx context.Context, name string, f *File) (*FileResult, error) {
	// A session needs a lake; an empty one in a temporary folder is the
	// scratch space (only the lake package talks to DuckDB).
	dir, err := os.MkdirTemp("", "distill-eval-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	l, err := lake.Create(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	sess, err := l.Session(ctx, "")
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	if _, err := sess.Exec(ctx, `CREATE TEMP TABLE eval_scores (model VARCHAR, split VARCHAR, id VARCHAR, dimension VARCHAR,
		position INTEGER, predicted DOUBLE, oracle DOUBLE, baseline DOUBLE, baseline_median DOUBLE)`); err != nil {
		return nil, err
	}
	const batch = 500
	var args []any
	var ph []string
	flush := func() error {
		if len(ph) == 0 {
			return nil
		}
		_, err := sess.Exec(ctx, "INSERT INTO eval_scores VALUES "+strings.Join(ph, ", "), args...)
		args, ph = args[:0], ph[:0]
		return err
	}
	for i, row := range f.Predictions {
		for j, p := range row {
			args = append(args, f.ArticleIDs[i], f.Dimensions[j], j+1, p, f.Labels[i][j])
			ph = append(ph, "('file', 'all', ?, ?, ?, ?, ?, NULL, NULL)")
			if len(ph) == batch {
				if err := flush(); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if err := create(ctx, sess, "eval_dimension_errors", "eval/dimension_errors", "eval_spearman", "eval/spearman"); err != nil {
		return nil, err
	}
	res := &FileResult{File: name, Articles: len(f.Predictions), Dimensions: f.Dimensions, PerDimension: []Metrics{}}
	err = sess.Each(ctx, `SELECT e.dimension, e.n, e.mae, e.rmse, e.bias, s.spearman
		FROM eval_dimension_errors e LEFT JOIN eval_spearman s USING (model, split, dimension) ORDER BY e.position`, func(r *sql.Rows) error {
		var x Metrics
		var spearman sql.NullFloat64
		if err := r.Scan(&x.Dimension, &x.N, &x.MAE, &x.RMSE, &x.Bias, &spearman); err != nil {
			return err
		}
		x.Spearman = ptr(spearman)
		if x.Dimension == "_all" {
			res.MAE, res.RMSE, res.Bias = x.MAE, x.RMSE, x.Bias
			return nil
		}
		res.PerDimension = append(res.PerDimension, x)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return res, nil
}
