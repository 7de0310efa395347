package train_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/stages/train"
	"github.com/distillery/distillery/students"
)

// The filter package travels with the model: a copy in the artifact
// folder with the hash the models row records, found by Model.Package
// whatever the package's own folder holds later; a changed copy is an
// error, and a model with no copy takes a given package only when its hash
// is the recorded one.
func TestRun_StoresTheFilterPackage(t *testing.T) {
	ctx := context.Background()
	l, f := squashedLake(t, 300, []float64{0.6, 0.2, 0.2})
	res, err := train.Run(ctx, l, train.Options{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	m, err := students.Find(ctx, l, f, res.Model.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.FilterSHA != f.SHA256 {
		t.Fatalf("models row filter_sha256 %q, want %q", m.FilterSHA, f.SHA256)
	}
	got, err := m.Package(l, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.SHA256 != f.SHA256 || got.Dir != m.FilterDir(l) {
		t.Fatalf("Package: %s sha %s, want the copy in %s with sha %s", got.Dir, got.SHA256, m.FilterDir(l), f.SHA256)
	}
	edited := filepath.Join(m.FilterDir(l), filters.PromptFile)
	if err := os.WriteFile(edited, append([]byte(got.Prompt), " edited"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Package(l, f); !errors.Is(err, students.ErrNoPackage) {
		t.Fatalf("Package after the stored copy changed: %v, want ErrNoPackage", err)
	}
	if err := os.RemoveAll(m.FilterDir(l)); err != nil {
		t.Fatal(err)
	}
	if got, err := m.Package(l, f); err != nil || got != f {
		t.Fatalf("Package of a model with no copy, given its package: %v, %v", got, err)
	}
	other := testutil.Filter(t, "filters/uplifting/v1")
	if _, err := m.Package(l, other); !errors.Is(err, students.ErrNoPackage) {
		t.Fatalf("Package given another package: %v, want ErrNoPackage", err)
	}
}

// A package edited between Load and the copy is refused, never copied
// under the hash of what was loaded.
func TestFilter_CopyToRefusesAChangedPackage(t *testing.T) {
	dir := t.TempDir()
	src := testutil.Filter(t, "filters/uplifting/v1")
	if err := src.CopyTo(dir); err != nil {
		t.Fatal(err)
	}
	f, err := filters.Load(dir)
	if err != nil || f.SHA256 != src.SHA256 {
		t.Fatalf("the copy loads as %v, %v; want sha %s", f, err, src.SHA256)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := f.CopyTo(t.TempDir()); !errors.Is(err, filters.ErrChanged) {
		t.Fatalf("CopyTo after an edit: %v, want ErrChanged", err)
	}
}
