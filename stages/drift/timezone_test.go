package drift_test

import (
	"context"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
	"github.com/distillery/distillery/lake"
)

// An article's window is the same on every machine: the publisher's own
// date when the string starts with one, else the timestamp read in UTC,
// whatever the session's time zone (the review: 2026-01-04T23:30-05:00
// was week 1 in New York and week 2 in UTC and Tokyo). A 1970 placeholder
// is no date.
func TestArticles_WindowsIgnoreTheMachinesTimeZone(t *testing.T) {
	ctx := context.Background()
	l := testutil.NewLake(t)
	var got []string
	for _, tz := range []string{"UTC", "America/New_York", "Asia/Tokyo"} {
		sess, err := l.Session(ctx, "corpus")
		if err != nil {
			t.Fatal(err)
		}
		err = sess.ExecAll(ctx,
			"SET TimeZone = '"+tz+"'",
			`CREATE TEMP TABLE drift_scores AS SELECT * FROM (VALUES
				('a', 'm1', TIMESTAMPTZ '2026-01-21 12:00:00+00', 'r1', true, 'low', 5.0::DOUBLE, 5.0::DOUBLE),
				('b', 'm1', TIMESTAMPTZ '2026-01-21 12:00:00+00', 'r1', true, 'low', 5.0::DOUBLE, 5.0::DOUBLE),
				('c', 'm1', TIMESTAMPTZ '2026-01-21 12:00:00+00', 'r1', true, 'low', 5.0::DOUBLE, 5.0::DOUBLE),
				('d', 'm1', TIMESTAMPTZ '2026-01-21 12:00:00+00', 'r1', true, 'low', 5.0::DOUBLE, 5.0::DOUBLE),
				('e', 'm1', TIMESTAMPTZ '2026-01-12 02:00:00+00', 'r1', true, 'low', 5.0::DOUBLE, 5.0::DOUBLE))
				t(id, model, scored_at, run_id, passed, tier, overall, relevance)`,
			`CREATE TEMP TABLE drift_raw AS SELECT * FROM (VALUES
				('a', '2026-01-04T23:30:00-05:00'), ('b', '2026-01-05T01:30:00+09:00'),
				('c', 'Tue, 13 Jan 2026 10:00:00 GMT'), ('d', '1970-01-01'), ('e', NULL))
				t(id, published_date)`,
			"SET VARIABLE dimensions = ['relevance']")
		if err == nil {
			err = sess.TempTable(ctx, "drift_articles", "drift/articles", lake.Params{"by": "week"})
		}
		if err != nil {
			t.Fatal(err)
		}
		var line string
		if err := sess.QueryRow(ctx, "SELECT string_agg(id || ' ' || window_name || ' ' || dated_by, '; ' ORDER BY id) FROM drift_articles", &line); err != nil {
			t.Fatal(err)
		}
		got = append(got, line)
		sess.Close()
	}
	want := "a 2026-W01 published; b 2026-W02 published; c 2026-W03 published; d 2026-W04 scored_at; e 2026-W03 scored_at"
	for i, g := range got {
		if g != want {
			t.Errorf("time zone %d: %s\nwant %s", i, g, want)
		}
	}
}
