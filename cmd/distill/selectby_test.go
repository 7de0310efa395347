package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
)

// train --select-by with a name that is no metric stops with the nearest
// one, before it reads anything.
func TestCLI_TrainSelectByBadName(t *testing.T) {
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	filter := filepath.Join(testutil.RepoRoot(t), "filters/sustainability_tech_deployment/v1")
	_, errOut := distill(t, 1, "--lake", lk, "train", "--filter", filter, "--select-by", "recal@20")
	if !strings.Contains(errOut, `select-by "recal@20"`) || !strings.Contains(errOut, "did you mean recall@20?") {
		t.Errorf("stderr: %s", errOut)
	}
}
