package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
)

// A person's review round trip: the review file (the export's shape, one
// record per article already in the lake, human_analysis with null scores)
// imports nothing until judged; once half judged, `--oracle human` imports
// the judged half under the reviewer's name and rejects the rest, naming
// what is unjudged; importing it again adds nothing.
func TestCLI_LabelImportHumanReview(t *testing.T) {
	lk := filepath.Join(t.TempDir(), "lake")
	up := filepath.Join(testutil.RepoRoot(t), "filters/uplifting/v1")
	ref := testutil.Shared(t, "reference/llm-distillery/filters/uplifting/v4/validation_scored/uplifting/scored_batch_001.jsonl")
	distill(t, 0, "init", "--lake", lk)
	distill(t, 0, "--lake", lk, "ingest", ref)
	dims := []string{"agency", "progress", "collective_benefit", "connection", "innovation", "justice", "resilience", "wonder"}

	// The export: the oracle's answers beside the article, nulls to fill in.
	b, err := os.ReadFile(ref)
	if err != nil {
		t.Fatal(err)
	}
	var blank, judged []string
	var ids []string
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var rec struct {
			ID, Title, Content string
			Analysis           map[string]any `json:"uplifting_analysis"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rec.ID)
		human := map[string]any{"reasoning": ""}
		for _, d := range dims {
			human[d] = nil
		}
		answers := []any{map[string]any{"oracle": "import", "model": rec.Analysis["analyzed_by"], "overall": 5.2, "scores": rec.Analysis}}
		out := map[string]any{"id": rec.ID, "title": rec.Title, "text": rec.Content, "answers": answers, "human_analysis": human}
		line, _ := json.Marshal(out)
		blank = append(blank, string(line))
		// Alice judges every other article: the oracle's score, or one less
		// with her reason.
		if i%2 == 0 {
			for _, d := range dims {
				human[d] = rec.Analysis[d]
			}
			human["agency"] = map[string]any{"score": max(rec.Analysis["agency"].(float64)-1, 0), "evidence": "less agency than the oracle saw"}
			human["reasoning"] = "checked against the text"
		}
		line, _ = json.Marshal(out)
		judged = append(judged, string(line))
	}
	dir := t.TempDir()
	review, done := filepath.Join(dir, "review.jsonl"), filepath.Join(dir, "judged.jsonl")
	os.WriteFile(review, []byte(strings.Join(blank, "\n")+"\n"), 0o644)
	os.WriteFile(done, []byte(strings.Join(judged, "\n")+"\n"), 0o644)
	args := []string{"--lake", lk, "label", "import", "--filter", up, "--oracle", "human", "--model", "alice", "--key", "human_analysis"}

	out, _ := distill(t, 1, append(args, review)...)
	if want := review + ":1: " + ids[0] + ": not judged yet: " + strings.Join(dims, ", ") + " still null"; !strings.Contains(out, want) || !strings.Contains(out, "16 rejected (16 not judged yet)") {
		t.Errorf("the unjudged review: %q, want %q", out, want)
	}

	out, _ = distill(t, 0, append(args, done)...)
	if !strings.Contains(out, "8 labels imported, 0 already imported, 8 rejected (8 not judged yet), 0 new articles ingested") ||
		!strings.Contains(out, done+":2: "+ids[1]+": not judged yet: agency, progress") {
		t.Errorf("the half-judged review: %q", out)
	}
	sql := func(q string) string {
		out, _ := distill(t, 0, "--lake", lk, "sql", "--filter", up, "--format", "csv", q)
		return out
	}
	if got, want := sql("SELECT oracle, model, imported, count(*) AS n, count(extra) AS extra FROM labels GROUP BY ALL"), "oracle,model,imported,n,extra\nhuman,alice,true,8,0\n"; got != want {
		t.Errorf("labels after the review:\n%s\nwant\n%s", got, want)
	}
	if got := sql("SELECT count(*) AS n FROM labels WHERE agency_evidence = 'less agency than the oracle saw' AND wonder_evidence = '(overall reasoning) checked against the text'"); got != "n\n8\n" {
		t.Errorf("evidence of the judged labels: %q", got)
	}
	if got := sql("SELECT count(*) AS n FROM corpus.raw"); got != "n\n16\n" {
		t.Errorf("corpus.raw after the review: %q, want the 16 articles ingested before", got)
	}

	out, _ = distill(t, 0, append(args, done)...)
	if !strings.Contains(out, "0 labels imported, 8 already imported, 8 rejected") {
		t.Errorf("re-import: %q", out)
	}
	if got := sql("SELECT count(*) AS n FROM labels"); got != "n\n8\n" {
		t.Errorf("labels after a re-import: %q", got)
	}

	// An unknown dimension is refused before any file is read.
	_, stderr := distill(t, 1, append(args, "--dim", "hope=scores.hope", filepath.Join(dir, "missing.jsonl"))...)
	if !strings.Contains(stderr, `no dimension "hope" (its dimensions: `+strings.Join(dims, ", ")+")") {
		t.Errorf("--dim hope: %q", stderr)
	}
}
