package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
)

// smallLake makes a lake with two snapshots of corpus.raw and a tag.
func smallLake(t *testing.T) string {
	t.Helper()
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	distill(t, 0, "--lake", lk, "ingest", testutil.Shared(t, "corpus/bbc-fulltext/bbc/tech"))
	more := filepath.Join(t.TempDir(), "more.jsonl")
	os.WriteFile(more, []byte(`{"id":"m1","title":"Grid battery online","content":"A 100 MW battery entered service."}`+"\n"), 0o644)
	distill(t, 0, "--lake", lk, "ingest", more)
	distill(t, 0, "--lake", lk, "tag", "tech", "corpus.raw@1")
	return lk
}

func counts(t *testing.T, lk string) string {
	t.Helper()
	out, _ := distill(t, 0, "--lake", lk, "sql", "--format", "csv",
		`SELECT (SELECT count(*) FROM corpus.raw), (SELECT count(*) FROM "corpus.raw@1"), (SELECT count(*) FROM "corpus.raw@tech")`)
	return out
}

func TestCLI_LostCatalogAndRecover(t *testing.T) {
	for _, lose := range []string{"truncate", "delete"} {
		t.Run(lose, func(t *testing.T) {
			lk := smallLake(t)
			want := counts(t, lk)
			cat := filepath.Join(lk, "catalog.db")
			if lose == "truncate" {
				os.Truncate(cat, 0)
			} else {
				os.Remove(cat)
			}
			more := filepath.Join(t.TempDir(), "x.jsonl")
			os.WriteFile(more, []byte(`{"id":"x1","title":"t","content":"c"}`+"\n"), 0o644)
			for _, args := range [][]string{
				{"sql", "SELECT 1"}, {"ingest", more}, {"expire", "--older-than", "0s"}, {"init"}, {"snapshots", "corpus.raw"},
			} {
				_, errOut := distill(t, 1, append([]string{"--lake", lk}, args...)...)
				if !strings.Contains(errOut, "distill recover --lake "+lk) {
					t.Errorf("%s: stderr %q does not say to run distill recover", args[0], errOut)
				}
			}
			out, _ := distill(t, 0, "--lake", lk, "recover")
			if !strings.Contains(out, "registered corpus.raw: 2 snapshots") || !strings.Contains(out, "tags tech") || !strings.Contains(out, "2 tables registered") {
				t.Errorf("recover printed %q", out)
			}
			if got := counts(t, lk); got != want {
				t.Errorf("after recover counts %q, want %q", got, want)
			}
			out, _ = distill(t, 0, "--lake", lk, "recover")
			if !strings.Contains(out, "0 tables registered, 2 already registered") {
				t.Errorf("second recover printed %q", out)
			}
		})
	}
}

func TestCLI_MovedAndCopiedLake(t *testing.T) {
	lk := smallLake(t)
	want := counts(t, lk)
	moved := lk + "-moved"
	if err := os.Rename(lk, moved); err != nil {
		t.Fatal(err)
	}
	if got := counts(t, moved); got != want {
		t.Fatalf("moved lake counts %q, want %q", got, want)
	}
	cp := lk + "-copy"
	if out, err := exec.Command("cp", "-a", moved, cp).CombinedOutput(); err != nil {
		t.Fatalf("cp -a: %v: %s", err, out)
	}
	away := moved + ".away"
	os.Rename(moved, away) // a read of the source's paths now fails
	more := filepath.Join(t.TempDir(), "y.jsonl")
	os.WriteFile(more, []byte(`{"id":"y1","title":"Solar farm","content":"It opened."}`+"\n"), 0o644)
	distill(t, 0, "--lake", cp, "ingest", more)
	out, _ := distill(t, 0, "--lake", cp, "sql", "--format", "csv", `SELECT count(*) FROM corpus.raw`)
	os.Rename(away, moved)
	if got := counts(t, moved); got != want {
		t.Fatalf("the source's counts changed after the copy was written: %q, want %q", got, want)
	}
	src, _ := distill(t, 0, "--lake", moved, "sql", "--format", "csv", `SELECT count(*) + 1 FROM corpus.raw`)
	if f, g := strings.Fields(out), strings.Fields(src); f[len(f)-1] != g[len(g)-1] {
		t.Errorf("copy has %q rows after one more, source %q", out, src)
	}
}
