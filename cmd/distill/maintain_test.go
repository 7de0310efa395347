package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// maintLake makes a lake whose corpus.raw has one snapshot per ingested file.
func maintLake(t *testing.T, files int) string {
	t.Helper()
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	dir := t.TempDir()
	for f := 1; f <= files; f++ {
		var b strings.Builder
		for i := 0; i < f; i++ { // file f adds f rows
			fmt.Fprintf(&b, `{"id":"f%d-%d","title":"t %d","content":"c %d %d"}`+"\n", f, i, i, f, i)
		}
		path := filepath.Join(dir, fmt.Sprintf("f%d.jsonl", f))
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		distill(t, 0, "--lake", lk, "ingest", path)
	}
	return lk
}

func rawCount(t *testing.T, lk string) string {
	t.Helper()
	out, _ := distill(t, 0, "--lake", lk, "sql", "--format", "csv", "SELECT count(*) FROM corpus.raw")
	return strings.TrimPrefix(out, "count_star()\n")
}

func TestCLI_Rollback(t *testing.T) {
	lk := maintLake(t, 3) // @1: 1 row, @2: 3, @3: 6

	out, stderr := distill(t, 1, "--lake", lk, "rollback", "corpus.raw", "1")
	if !strings.Contains(out, "would roll back corpus.raw: @3 (6 rows) -> @1 (1 row)") || !strings.Contains(stderr, "add --yes to do it") {
		t.Errorf("rollback without --yes: %q %q", out, stderr)
	}
	if got := rawCount(t, lk); got != "6\n" {
		t.Errorf("rows after a refused rollback = %q, want 6", got)
	}

	out, _ = distill(t, 0, "--lake", lk, "rollback", "corpus.raw", "1", "--yes")
	if !strings.Contains(out, "rolled back corpus.raw: @3 (6 rows) -> @1 (1 row)") {
		t.Errorf("rollback --yes: %q", out)
	}
	if got := rawCount(t, lk); got != "1\n" {
		t.Errorf("rows after rollback to @1 = %q, want 1", got)
	}
	out, _ = distill(t, 0, "--lake", lk, "rollback", "corpus.raw", "@1", "--yes")
	if !strings.Contains(out, "already at @1") {
		t.Errorf("rollback to the current snapshot: %q", out)
	}
	_, stderr = distill(t, 1, "--lake", lk, "rollback", "corpus.raw", "7", "--yes")
	if !strings.Contains(stderr, "no snapshot with sequence number 7") {
		t.Errorf("rollback to a missing snapshot: %q", stderr)
	}
	out, _ = distill(t, 0, "--lake", lk, "rollback", "--json", "--yes", "corpus.raw", "3")
	var res struct {
		From, To  int64
		Committed bool
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.From != 1 || res.To != 3 || !res.Committed {
		t.Errorf("rollback --json: %q (%v)", out, err)
	}
}

func TestCLI_Compact(t *testing.T) {
	lk := maintLake(t, 4)
	distill(t, 0, "--lake", lk, "tag", "before-compact", "corpus.raw")
	out, _ := distill(t, 0, "--lake", lk, "compact", "--dry-run")
	if !strings.Contains(out, "corpus.raw: 4 files -> about 1 (would rewrite 4 small files") {
		t.Errorf("compact --dry-run: %q", out)
	}
	out, _ = distill(t, 0, "--lake", lk, "compact", "corpus.raw")
	if !strings.Contains(out, "corpus.raw: 4 files -> 1 (10 rows") || !strings.Contains(out, "as @5") {
		t.Errorf("compact: %q", out)
	}
	out, _ = distill(t, 0, "--lake", lk, "compact", "--json")
	var res []compactJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("compact --json printed %q: %v", out, err)
	}
	for _, r := range res {
		if r.Snapshot != nil || r.Rewritten != 0 {
			t.Errorf("second compaction of %s did something: %+v", r.Table, r)
		}
	}
	out, _ = distill(t, 0, "--lake", lk, "sql", "--format", "csv",
		`SELECT (SELECT count(*) FROM corpus.raw) = 10 AND (SELECT count(*) FROM "corpus.raw@before-compact") = 10 AS same`)
	if out != "same\ntrue\n" {
		t.Errorf("rows after compaction: %q", out)
	}
	out, _ = distill(t, 0, "--lake", lk, "snapshots", "--json", "corpus.raw")
	if !strings.Contains(out, `"stage": "compact"`) {
		t.Errorf("compaction snapshot lacks its stage: %s", out)
	}
}

func TestCLI_Expire(t *testing.T) {
	lk := maintLake(t, 3)
	distill(t, 0, "--lake", lk, "tag", "first", "corpus.raw@1")
	distill(t, 0, "--lake", lk, "compact", "corpus.raw") // @4; @2's and @3's files now read only by old snapshots
	time.Sleep(5 * time.Millisecond)

	out, stderr := distill(t, 1, "--lake", lk, "expire", "--older-than", "0d", "--grace", "0")
	if !strings.Contains(out, "corpus.raw: would expire @2, @3 (2 kept); would delete") || !strings.Contains(stderr, "--yes") {
		t.Errorf("expire without --yes: %q %q", out, stderr)
	}
	out, _ = distill(t, 0, "--lake", lk, "expire", "--older-than", "0s", "--grace", "0", "--dry-run", "--table", "corpus.raw")
	if !strings.Contains(out, "would expire @2, @3") {
		t.Errorf("expire --dry-run: %q", out)
	}
	out, _ = distill(t, 0, "--lake", lk, "expire", "--older-than", "7d", "--yes")
	if !strings.Contains(out, "corpus.raw: no snapshot to expire (4 kept)") {
		t.Errorf("expire --older-than 7d: %q", out)
	}
	out, _ = distill(t, 0, "--lake", lk, "expire", "--older-than", "0s", "--yes")
	if !strings.Contains(out, "corpus.raw: no snapshot to expire (4 kept); @2, @3 held: current less than 1h ago") {
		t.Errorf("expire within the grace period: %q", out)
	}
	out, _ = distill(t, 0, "--lake", lk, "expire", "--older-than", "0s", "--grace", "0", "--yes", "--json")
	var res []expireJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("expire --json printed %q: %v", out, err)
	}
	var raw *expireJSON
	for i := range res {
		if res[i].Table == "corpus.raw" {
			raw = &res[i]
		}
	}
	if raw == nil || fmt.Sprint(raw.Expired) != "[2 3]" || raw.Remaining != 2 || raw.FilesDeleted < 2 || raw.BytesFreed == 0 || raw.DryRun {
		t.Errorf("expire --json: %s", out)
	}
	out, _ = distill(t, 0, "--lake", lk, "sql", "--format", "csv",
		`SELECT (SELECT count(*) FROM corpus.raw) AS now, (SELECT count(*) FROM "corpus.raw@first") AS first`)
	if out != "now,first\n6,1\n" {
		t.Errorf("rows after expiry: %q", out)
	}
	_, stderr = distill(t, 1, "--lake", lk, "expire", "--older-than", "soon", "--yes")
	if !strings.Contains(stderr, "7d") {
		t.Errorf("bad --older-than: %q", stderr)
	}
}

// With nothing to expire, the plan (without --yes, or with --dry-run) is
// not a refusal: it says so and exits 0.
func TestCLI_ExpireNothingToDo(t *testing.T) {
	lk := maintLake(t, 2)
	for _, args := range [][]string{{}, {"--dry-run"}, {"--yes"}, {"--table", "corpus.raw"}} {
		out, _ := distill(t, 0, append([]string{"--lake", lk, "expire", "--older-than", "7d"}, args...)...)
		if !strings.Contains(out, "nothing to expire") {
			t.Errorf("expire %v with nothing to do: %q", args, out)
		}
	}
	time.Sleep(5 * time.Millisecond)
	out, stderr := distill(t, 1, "--lake", lk, "expire", "--older-than", "0s", "--grace", "0")
	if strings.Contains(out, "nothing to expire") || !strings.Contains(stderr, "add --yes to do it") {
		t.Errorf("expire with work to do, without --yes: %q %q", out, stderr)
	}
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{"168h": 168 * time.Hour, "7d": 7 * 24 * time.Hour, "1.5d": 36 * time.Hour, "0": 0, "30m": 30 * time.Minute} {
		if got, err := parseAge(in); err != nil || got != want {
			t.Errorf("parseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "-1h", "7days", "x"} {
		if _, err := parseAge(in); err == nil {
			t.Errorf("parseAge(%q) accepted", in)
		}
	}
}
