package oracle_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/distillery/distillery/stages/label/oracle"
	"github.com/distillery/distillery/stages/label/oracle/oracletest"
)

// TestSimulate_OffsetAndNoise: answers are the keywords scores moved by the
// offset plus normal noise of the given spread, the same for one text and
// repeat, fresh for another repeat.
func TestSimulate_OffsetAndNoise(t *testing.T) {
	ctx := context.Background()
	f := oracletest.Filter()
	kw := oracle.NewKeywords(f)
	sim, err := oracle.NewSimulate(f, "offset=2, noise=0.5")
	if err != nil {
		t.Fatal(err)
	}
	scores := func(o oracle.Oracle, req oracle.Request) map[string]float64 {
		resp, err := o.Call(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]struct{ Score float64 }
		if err := json.Unmarshal([]byte(resp.Text), &m); err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for k, v := range m {
			out[k] = v.Score
		}
		return out
	}
	text := "A pilot plant cut carbon emissions."
	base := scores(kw, oracle.Request{Input: text})
	var sum, sumSq float64
	n := 0
	for r := range 400 {
		s := scores(sim, oracle.Request{Input: text, Repeat: r})
		if again := scores(sim, oracle.Request{Input: text, Repeat: r}); again["climate"] != s["climate"] {
			t.Fatalf("repeat %d answered %v, then %v", r, s, again)
		}
		d := s["climate"] - base["climate"]
		sum += d
		sumSq += d * d
		n++
	}
	mean := sum / float64(n)
	sd := math.Sqrt(sumSq/float64(n) - mean*mean)
	if math.Abs(mean-2) > 0.1 || math.Abs(sd-0.5) > 0.06 {
		t.Errorf("climate moved by %.3f ± %.3f over 400 repeats, want 2 ± 0.5 (keywords %g)", mean, sd, base["climate"])
	}
	for _, bad := range []string{"", "offset=x", "noise=-1", "bias=1", "offset", "offset=1,offset=2"} {
		if _, err := oracle.NewSimulate(f, bad); !errors.Is(err, oracle.ErrSimulateModel) {
			t.Errorf("model %q: %v", bad, err)
		}
	}
}
