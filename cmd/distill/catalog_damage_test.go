package main

import (
	"crypto/rand"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// TestCLI_LostTableRowAndRecover is the QA repro: a catalog.db that lost
// corpus.raw's row (others still registered). ingest used to create a new
// corpus.raw with 1 row beside the old history, and recover then refused;
// now ingest refuses naming the table and recover, which brings the table
// back with its snapshots and tag, and the next ingest appends to it.
func TestCLI_LostTableRowAndRecover(t *testing.T) {
	lk := smallLake(t)
	want := counts(t, lk)
	db, err := sql.Open("sqlite", filepath.Join(lk, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM iceberg_tables WHERE table_name = 'raw'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	z := filepath.Join(t.TempDir(), "z.jsonl")
	os.WriteFile(z, []byte(`{"id":"z1","title":"t","content":"c"}`+"\n"), 0o644)
	_, errOut := distill(t, 1, "--lake", lk, "ingest", z)
	if !strings.Contains(errOut, "corpus.raw") || !strings.Contains(errOut, "distill recover --lake "+lk) {
		t.Fatalf("ingest into a table the catalog lost: stderr %q, want it to name corpus.raw and distill recover", errOut)
	}
	out, _ := distill(t, 0, "--lake", lk, "recover")
	if !strings.Contains(out, "registered corpus.raw: 2 snapshots") || !strings.Contains(out, "1 table registered, 1 already registered") {
		t.Fatalf("recover printed %q", out)
	}
	if got := counts(t, lk); got != want {
		t.Fatalf("after recover counts %q, want %q", got, want)
	}
	if out, _ := distill(t, 0, "--lake", lk, "ingest", z); !strings.Contains(out, "corpus.raw@3") {
		t.Errorf("the next ingest printed %q, want it to append corpus.raw@3", out)
	}
}

// TestCLI_CorruptCatalogRecover: a catalog.db of random bytes or cut in
// half used to give SQLite's bare "file is not a database (26)" /
// "database disk image is malformed (11)", and recover failed the same way.
// Now every command says it is corrupt and what to do; recover moves it
// aside (kept) and rebuilds the catalog from the warehouse.
func TestCLI_CorruptCatalogRecover(t *testing.T) {
	for _, how := range []string{"random bytes", "truncated"} {
		t.Run(how, func(t *testing.T) {
			lk := smallLake(t)
			want := counts(t, lk)
			cat := filepath.Join(lk, "catalog.db")
			if how == "truncated" {
				fi, _ := os.Stat(cat)
				os.Truncate(cat, fi.Size()/2)
			} else {
				b := make([]byte, 8192)
				rand.Read(b)
				os.WriteFile(cat, b, 0o644)
			}
			for _, args := range [][]string{{"tables"}, {"sql", "SELECT 1"}, {"snapshots", "corpus.raw"}} {
				_, errOut := distill(t, 1, append([]string{"--lake", lk}, args...)...)
				if !strings.Contains(errOut, "catalog.db is corrupt") || !strings.Contains(errOut, "catalog.db.corrupt") || !strings.Contains(errOut, "distill recover --lake "+lk) {
					t.Errorf("%s: stderr %q does not say the catalog is corrupt, to move it aside and run recover", args[0], errOut)
				}
			}
			out, _ := distill(t, 0, "--lake", lk, "recover")
			if !strings.Contains(out, "moved the corrupt catalog aside: "+cat+".corrupt") || !strings.Contains(out, "2 tables registered") {
				t.Fatalf("recover printed %q", out)
			}
			if got := counts(t, lk); got != want {
				t.Fatalf("after recover counts %q, want %q", got, want)
			}
		})
	}
}
