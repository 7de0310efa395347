package pipelinetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
)

// TrainerPython is $DISTILL_PYTHON when it imports the trainer and torch
// (`make test-trainer` sets it up); otherwise the test skips, saying why.
func TrainerPython(t *testing.T) string {
	t.Helper()
	python := os.Getenv("DISTILL_PYTHON")
	if python == "" {
		t.Skip("DISTILL_PYTHON is not set: `make test-trainer` installs the trainer and runs this test")
	}
	if out, err := exec.Command(python, "-c", "import distill_trainer, torch").CombinedOutput(); err != nil {
		t.Skipf("%s cannot import distill_trainer and torch: %v\n%s", python, err, out)
	}
	return python
}

// TinyBERT builds a tiny random BERT from a config (no download) whose
// vocabulary is the words of the texts query returns from l, and returns
// its folder.
func TinyBERT(t *testing.T, python string, l *lake.Lake, query string) string {
	t.Helper()
	texts := filepath.Join(t.TempDir(), "texts.txt")
	lines := testutil.QueryStrings(t, l, query)
	if err := os.WriteFile(texts, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(t.TempDir(), "tiny-bert")
	script := `import sys; sys.path.insert(0, sys.argv[1]); from tinymodel import build_base_model
build_base_model(sys.argv[2], open(sys.argv[3]).read().splitlines())`
	if out, err := exec.Command(python, "-c", script, filepath.Join(testutil.RepoRoot(t), "trainer/tests"), base, texts).CombinedOutput(); err != nil {
		t.Fatalf("build the tiny model: %v\n%s", err, out)
	}
	return base
}
