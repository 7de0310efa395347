package stagetest

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// checkKeys checks every table s writes that has a snapshot: one row per
// key (the table's spec.Table.Key), and as many rows as its current
// snapshot says it holds, so no commit left part of its rows behind.
func checkKeys(t testing.TB, e *Env, s *spec.Spec, when string) {
	t.Helper()
	ctx := context.Background()
	for _, w := range s.Writes {
		name := w.For(e.Filter)
		snap, err := e.Lake.Current(ctx, name)
		if err != nil && !errors.Is(err, lake.ErrNoTable) {
			t.Fatalf("%s: %s: %v", when, name, err)
		}
		if snap == nil {
			continue
		}
		n := testutil.QueryInt(t, e.Lake, "SELECT count(*) FROM "+name.String())
		if n != snap.TotalRows {
			t.Errorf("%s: %s has %d rows, its snapshot @%d says %d", when, name, n, snap.Seq, snap.TotalRows)
		}
		if len(w.Key) == 0 {
			continue
		}
		key := strings.Join(w.Key, ", ")
		distinct := testutil.QueryInt(t, e.Lake, "SELECT count(*) FROM (SELECT DISTINCT "+key+" FROM "+name.String()+")")
		if n != distinct {
			t.Errorf("%s: %s has %d rows beyond one per (%s)", when, name, n-distinct, key)
		}
	}
}

// rowCount is the rows of t in e (0 before its first snapshot).
func rowCount(t testing.TB, e *Env, tbl *spec.Table) int64 {
	t.Helper()
	name := tbl.For(e.Filter)
	snap, err := e.Lake.Current(context.Background(), name)
	if err != nil && !errors.Is(err, lake.ErrNoTable) {
		t.Fatal(err)
	}
	if snap == nil {
		return 0
	}
	return testutil.QueryInt(t, e.Lake, "SELECT count(*) FROM "+name.String())
}

// snapshots is the number of snapshots of tbl in e.
func snapshots(t testing.TB, e *Env, tbl *spec.Table) int {
	t.Helper()
	snaps, err := e.Lake.Snapshots(context.Background(), tbl.For(e.Filter))
	if err != nil && !errors.Is(err, lake.ErrNoTable) {
		t.Fatal(err)
	}
	return len(snaps)
}

// template is a closed lake, in a folder of its own, holding the articles
// ids and everything the stages before s make of them: each case that
// needs fresh work for s starts from a copy (copyEnv).
func template(t testing.TB, s *spec.Spec, ids ...string) (dir string, articles string) {
	t.Helper()
	f := loadFilter(t)
	dir = filepath.Join(t.TempDir(), "lake")
	l, err := lake.Create(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{Lake: l, Filter: f}
	e.SetArticles(t, ids...)
	runBefore(t, e, s)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, e.Articles
}

// copyEnv opens a copy of the template lake at dir (a lake opens where it
// was moved to, so a copy is a lake of its own).
func copyEnv(t testing.TB, dir, articles string) *Env {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "lake")
	if err := copyDir(dir, dst); err != nil {
		t.Fatal(err)
	}
	l, err := lake.Open(context.Background(), dst)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return &Env{Lake: l, Filter: loadFilter(t), Articles: articles}
}

func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		w, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, in); err != nil {
			w.Close()
			return err
		}
		return w.Close()
	})
}

func loadFilter(t testing.TB) *filters.Filter {
	return testutil.Filter(t, filterDir)
}

func itoa(n int) string { return strconv.Itoa(n) }

// checkInterrupted checks e after a run of s that was stopped (cancelled
// or killed): every table s writes is whole, its output holds either none
// of the run's rows or all of them (whole new rows over before), and a
// rerun then finishes the work.
func checkInterrupted(t testing.TB, e *Env, s *spec.Spec, r Runner, before, whole int64, when string) {
	t.Helper()
	out := s.Output()
	checkKeys(t, e, s, when)
	got := rowCount(t, e, out) - before
	if got != 0 && got != whole {
		t.Errorf("%s: %s holds %d new rows; want 0 or the whole run's %d", when, out.Name, got, whole)
	}
	if _, err := r.Run(context.Background(), e, nil); err != nil {
		t.Errorf("%s: the rerun: %v", when, err)
		return
	}
	checkKeys(t, e, s, when+", then rerun")
	want := whole
	if s.EveryRun && got == whole {
		want = 2 * whole // the stopped run had committed: the rerun adds its own
	}
	if after := rowCount(t, e, out) - before; after != want {
		t.Errorf("%s, then rerun: %s holds %d new rows; want %d", when, out.Name, after, want)
	}
}
