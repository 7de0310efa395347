package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A rerun of the demo replaces the folder an earlier demo made only while
// it holds nothing the user added or changed: a file, a tag, a snapshot of
// the user's own commands each make it refuse, naming what it found, until
// --force.
func TestCLI_DemoRerunKeepsWhatTheUserAdded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	lk := filepath.Join(dir, "lake")
	distill(t, 0, "demo", "--dir", dir, "--articles", "200")
	out, _ := distill(t, 0, "demo", "--dir", dir, "--articles", "150") // untouched: replaced without asking
	if !strings.Contains(out, "generated 150 articles") || lineCount(t, filepath.Join(dir, "sample.jsonl")) != 150 {
		t.Fatalf("an untouched demo was not replaced: %q", out)
	}

	// Rerunning the demo's own pipeline changes nothing but the report it redraws.
	distill(t, 0, "run", filepath.Join(dir, "pipeline.yaml"))
	if out, _ := distill(t, 0, "demo", "--dir", dir, "--articles", "150"); !strings.Contains(out, "generated 150 articles") {
		t.Fatalf("a demo whose pipeline was rerun was not replaced: %q", out)
	}

	note := filepath.Join(dir, "mynote.txt")
	os.WriteFile(note, []byte("mine"), 0o644)
	demoRefused(t, dir, "mynote.txt")
	if b, err := os.ReadFile(note); err != nil || string(b) != "mine" {
		t.Fatalf("the refusal touched the user's file: %q, %v", b, err)
	}
	os.Remove(note)

	pipe := filepath.Join(dir, "pipeline.yaml")
	orig, _ := os.ReadFile(pipe)
	os.WriteFile(pipe, append(orig, []byte("# my change\n")...), 0o644)
	demoRefused(t, dir, "pipeline.yaml")
	os.WriteFile(pipe, orig, 0o644)

	distill(t, 0, "--lake", lk, "tag", "mine", "sustainability_tech_deployment.labels")
	demoRefused(t, dir, `tag "mine"`)

	os.WriteFile(note, []byte("mine"), 0o644)
	distill(t, 0, "demo", "--dir", dir, "--articles", "150", "--force")
	if _, err := os.Stat(note); err == nil {
		t.Error("--force kept the user's file")
	}
	out, _ = distill(t, 0, "--lake", lk, "snapshots", "sustainability_tech_deployment.labels")
	if strings.Contains(out, "mine") {
		t.Errorf("--force kept the tag: %s", out)
	}

	more := filepath.Join(t.TempDir(), "more.jsonl")
	os.WriteFile(more, []byte(`{"id":"m1","title":"Grid battery online","content":"A 100 MW battery entered service."}`+"\n"), 0o644)
	distill(t, 0, "--lake", lk, "ingest", more)
	demoRefused(t, dir, "corpus.raw")
}

// demoRefused runs a demo rerun into dir and wants it refused, naming what.
func demoRefused(t *testing.T, dir, what string) {
	t.Helper()
	_, stderr := distill(t, 1, "demo", "--dir", dir, "--articles", "150")
	if !strings.Contains(stderr, what) || !strings.Contains(stderr, "--force") {
		t.Errorf("the refusal names neither %s nor --force: %q", what, stderr)
	}
}

// A folder the demo did not make is never touched, --force or not; a demo
// folder whose contents were never recorded (its demo was killed) needs --force.
func TestCLI_DemoForeignFolder(t *testing.T) {
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "precious.txt"), []byte("x"), 0o644)
	distill(t, 1, "demo", "--dir", other)
	distill(t, 1, "demo", "--dir", other, "--force")
	os.WriteFile(filepath.Join(other, demoMarker), nil, 0o644)
	demoRefused(t, other, "--force")
	if _, err := os.Stat(filepath.Join(other, "precious.txt")); err != nil {
		t.Errorf("precious.txt: %v", err)
	}
}

func lineCount(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}
