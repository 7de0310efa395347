package score_test

import (
	"context"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
)

// The threshold keeps ceil(recall x positives) positives, exactly: 0.28 x
// 25 is 7.000000000000001 in floating point, and the rank must be 7, not
// 8 (the review found 8).
func TestThreshold_RankIsExact(t *testing.T) {
	ctx := context.Background()
	l := testutil.NewLake(t)
	sess, err := l.Session(ctx, "corpus")
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	// 25 val positives predicted 1..25.
	if _, err := sess.Exec(ctx, `CREATE TEMP TABLE cascade_pairs AS
		SELECT 'val' AS split, 'v' || i AS id, i::DOUBLE AS predicted, true AS positive FROM range(1, 26) r(i)`); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		recall float64
		want   float64
	}{{0.28, 19}, {1, 1}, {0.04, 25}, {0.98, 1}, {0.5, 13}} {
		var threshold float64
		var positives int64
		if err := sess.QueryRowFile(ctx, "cascade/threshold", lake.Params{"recall": c.recall}, &threshold, &positives); err != nil {
			t.Fatal(err)
		}
		if threshold != c.want || positives != 25 {
			t.Errorf("recall %g: threshold %g of %d positives, want %g (keeping ceil(%g x 25))", c.recall, threshold, positives, c.want, c.recall)
		}
	}
}
