package bundle_test

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
)

// python is $DISTILL_TEST_PYTHON, else python3 on the PATH; the test skips
// without one (or, for embed, without numpy).
func python(t *testing.T, modules ...string) string {
	t.Helper()
	py := os.Getenv("DISTILL_TEST_PYTHON")
	if py == "" {
		var err error
		if py, err = exec.LookPath("python3"); err != nil {
			t.Skip("no python3 on the PATH (set DISTILL_TEST_PYTHON)")
		}
	}
	for _, m := range modules {
		if err := exec.Command(py, "-c", "import "+m).Run(); err != nil {
			t.Skipf("%s has no %s (set DISTILL_TEST_PYTHON to one that has)", py, m)
		}
	}
	return py
}

// TestPredictPy_LinearMatchesTheLake runs the exported predict.py, on the
// Python standard library alone, over 300 articles a linear model
// predicted and compares every value with the lake's.
func TestPredictPy_LinearMatchesTheLake(t *testing.T) {
	l, _ := trained(t)
	checkPredictPy(t, l, python(t), models.linearA, 300)
}

// TestPredictPy_EmbedMatchesTheLake does the same for an embed model, whose
// hashed LSA encoder predict.py reimplements with numpy.
func TestPredictPy_EmbedMatchesTheLake(t *testing.T) {
	l, _ := trained(t)
	checkPredictPy(t, l, python(t, "numpy"), models.emb, 300)
}

func checkPredictPy(t *testing.T, l *lake.Lake, py, model string, n int) {
	t.Helper()
	dir := exported(t, l, model)
	where := " FROM uplifting.predictions p JOIN uplifting.compressed c ON c.id = p.id WHERE p.model = '" + model + "' ORDER BY p.id LIMIT " + itoa(n)
	in := testutil.QueryStrings(t, l, "SELECT to_json({'id': p.id, 'text': c.text})::VARCHAR"+where)
	want := testutil.QueryStrings(t, l, "SELECT to_json(p)::VARCHAR"+where)
	cmd := exec.Command(py, filepath.Join(dir, "predict.py"), dir)
	cmd.Stdin = strings.NewReader(strings.Join(in, "\n") + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("predict.py: %v\n%s", err, stderr.String())
	}
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(got) != len(want) {
		t.Fatalf("predict.py wrote %d lines for %d articles", len(got), len(want))
	}
	man := readManifest(t, dir)
	worst := 0.0
	for i := range got {
		var g, w map[string]any
		if err := json.Unmarshal([]byte(got[i]), &g); err != nil {
			t.Fatalf("line %d %q: %v", i, got[i], err)
		}
		json.Unmarshal([]byte(want[i]), &w)
		if g["id"] != w["id"] || g["tier"] != w["tier"] {
			t.Errorf("article %v: id/tier %v/%v, lake %v/%v", w["id"], g["id"], g["tier"], w["id"], w["tier"])
		}
		for _, k := range append(man, "overall") {
			gv, _ := g[k].(float64)
			wv, _ := w[k].(float64)
			worst = math.Max(worst, math.Abs(gv-wv))
			if math.Abs(gv-wv) > 1e-6 {
				t.Errorf("article %v %s: predict.py %v, lake %v", w["id"], k, g[k], w[k])
			}
		}
	}
	t.Logf("%d articles, largest difference %.3g", len(got), worst)
}

func readManifest(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Model struct {
			Dimensions []string `json:"dimensions"`
		} `json:"model"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m.Model.Dimensions
}

func itoa(n int) string { return strconv.Itoa(n) }
