package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distillery/distillery/internal/sample"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/stages/drift/drifttest"
)

// TestDemo_DriftFlagsWhatMoved is the measured drift of issue 19: the demo
// lake, its student tagged production, scores the demo's 1,500 articles
// (published over two years), then a generated batch of 600 in the demo's
// topic mix (the week of 2026-01-05), then one of 600 whose mix differs
// (the next week: far more deployments and commercial launches, little
// unrelated news). Against the training labels drift must flag, for the
// second batch, every dimension whose oracle labels moved clearly (the
// keywords oracle's labels of the batch against those of train: PSI above
// 0.4), and for the first none whose labels did not move (PSI below 0.1).
// The demo's keywords oracle scores its dimensions alike, so a topic mix
// moves them together: the planted shift of single dimensions is
// TestRun_FlagsThePlantedShift's.
func TestDemo_DriftFlagsWhatMoved(t *testing.T) {
	t.Setenv("GEMINI_API_KEY", "")
	dir := filepath.Join(t.TempDir(), "demo")
	distill(t, 0, "demo", "--dir", dir, "--articles", "1500")
	lk, fdir := filepath.Join(dir, "lake"), filepath.Join(dir, "filters", "sustainability_tech_deployment", "v1")
	distill(t, 0, "--lake", lk, "model", "tag", "production", "latest", "--filter", fdir)
	distill(t, 0, "--lake", lk, "score", "--filter", fdir)
	same := []sample.Share{}
	for _, m := range sample.Mix {
		same = append(same, sample.Share{Kind: m.Kind, Share: m.Share})
	}
	shifted := []sample.Share{{Kind: sample.Deployed, Share: 0.5}, {Kind: sample.Commercial, Share: 0.25}, {Kind: sample.Pilot, Share: 0.05},
		{Kind: sample.Lab, Share: 0.05}, {Kind: sample.Unrelated, Share: 0.15}}
	runs := map[string]driftOutput{}
	for i, b := range []struct {
		name string
		mix  []sample.Share
	}{{"same", same}, {"shifted", shifted}} {
		path := filepath.Join(dir, b.name+".jsonl")
		fh, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = sample.WriteBatch(fh, sample.Batch{N: 600, Seed: uint64(7 + i), Prefix: b.name, Days: 5, Mix: b.mix,
			From: time.Date(2026, 1, 5+7*i, 8, 0, 0, 0, time.UTC)})
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
		distill(t, 0, "--lake", lk, "score", "--filter", fdir, path)
		out, _ := distill(t, 0, "--lake", lk, "drift", "--filter", fdir, "--json")
		var res driftOutput
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("drift --json: %v\n%s", err, out)
		}
		if want := fmt.Sprintf("2026-W%02d", 2+i); res.Window != want {
			t.Errorf("%s: window %s, want %s (the batch's week)", b.name, res.Window, want)
		}
		runs[b.name] = res
	}
	// The truth: the oracle's labels of each batch (labeled after drift
	// ran) against its labels of the train split.
	distill(t, 0, "--lake", lk, "prefilter", "--filter", fdir)
	distill(t, 0, "--lake", lk, "compress", "--filter", fdir)
	distill(t, 0, "--lake", lk, "label", "--filter", fdir)
	counted := map[string]int{}
	for name, res := range runs {
		truth := oracleShift(t, lk, name)
		for _, r := range res.Rows {
			want, ok := truth[r.Dimension]
			if r.Baseline != "train" || !ok {
				continue
			}
			t.Logf("%-8s %-20s student PSI %.3f flagged %-5v; oracle PSI %.3f", name, r.Dimension, *r.PSI, r.Flagged, want)
			switch {
			case want > 0.4:
				counted[name+" moved"]++
				if !r.Flagged {
					t.Errorf("%s: %s moved (the oracle's PSI %.2f) and drift did not flag it (PSI %.2f)", name, r.Dimension, want, *r.PSI)
				}
			case want < 0.1:
				counted[name+" stayed"]++
				if r.Flagged {
					t.Errorf("%s: %s did not move (the oracle's PSI %.2f) and drift flagged it (PSI %.2f)", name, r.Dimension, want, *r.PSI)
				}
			}
		}
	}
	if counted["shifted moved"] == 0 || counted["same stayed"] == 0 {
		t.Errorf("the batches do not test both sides: %v", counted)
	}
	t.Logf("%v", counted)
}

// driftOutput is what the test reads of distill drift --json.
type driftOutput struct {
	Window string `json:"window"`
	Rows   []struct {
		Baseline  string   `json:"baseline"`
		Dimension string   `json:"dimension"`
		PSI       *float64 `json:"psi"`
		Flagged   bool     `json:"flagged"`
	} `json:"rows"`
}

// oracleShift is, per dimension, the PSI of the oracle's labels of the
// batch (ids prefix-NNNNN) against its labels of the train split.
func oracleShift(t *testing.T, lk, prefix string) map[string]float64 {
	t.Helper()
	ctx := context.Background()
	l, err := lake.Open(ctx, lk)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	sess, err := l.Session(ctx, "sustainability_tech_deployment")
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	q := `UNPIVOT (SELECT CASE WHEN l.id LIKE 'PREFIX-%' THEN 'batch' ELSE 'train' END AS side, l.* EXCLUDE (id)
	       FROM (SELECT id, COLUMNS(c -> c IN ('deployment_stage', 'impact_magnitude', 'evidence_quality', 'technology_maturity',
	             'economic_viability', 'scalability', 'climate_relevance', 'specificity', 'overall')) FROM labels) l
	       LEFT JOIN splits s USING (id) WHERE l.id LIKE 'PREFIX-%' OR s.split = 'train')
	      ON COLUMNS(* EXCLUDE (side)) INTO NAME dimension VALUE value`
	q = strings.ReplaceAll(q, "PREFIX", prefix)
	vals := map[string]map[string][]float64{"batch": {}, "train": {}}
	rows, err := sess.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var side, dim string
		var v float64
		if err := rows.Scan(&side, &dim, &v); err != nil {
			t.Fatal(err)
		}
		vals[side][dim] = append(vals[side][dim], v)
	}
	out := map[string]float64{}
	for dim, b := range vals["batch"] {
		out[dim] = drifttest.PSI(b, vals["train"][dim])
	}
	if len(out) == 0 {
		t.Fatal(fmt.Sprintf("no labels of the batch: %v", vals))
	}
	return out
}
