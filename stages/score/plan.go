package score

import (
	"context"
	"fmt"
	"strings"

	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// scan is the one read of corpus.raw for every filter.
type scan struct {
	raw *lake.Snapshot
	// query returns id, title, content, url, source, published_date,
	// dataset and one need_<i> flag per target; todo is its row count.
	query string
	todo  int64
}

// plan builds the read of the articles some target has not scored: with
// rescore, not scored by its production model; else not scored at all.
//
// only, when not empty, is a query of the ids to consider (shadow: those
// production scored).
func plan(ctx context.Context, sess *lake.Session, targets []*target, rescore bool, only string) (*scan, error) {
	rawRel, rawSnap, err := sess.Relation(ctx, spec.Raw.Ref(nil))
	if err != nil {
		return nil, err
	}
	if rawSnap == nil {
		return nil, spec.Need(spec.Raw, "", "", lake.ErrNoTable)
	}
	vars := lake.Vars{}
	from := rawRel + " r"
	var needs, flags []string
	for i, t := range targets {
		rel, snap, err := sess.Relation(ctx, t.out.Ref(t.pkg))
		if err != nil {
			return nil, err
		}
		need := "true"
		if snap != nil {
			done := "SELECT DISTINCT id FROM " + rel
			if rescore {
				v := fmt.Sprintf("score_model_%d", i)
				vars[v] = t.model.ID
				done += " WHERE model = getvariable('" + v + "')"
			}
			from += fmt.Sprintf(" LEFT JOIN (%s) d%d ON d%d.id = r.id", done, i, i)
			need = fmt.Sprintf("d%d.id IS NULL", i)
			if len(vars) > 0 {
				if err := sess.SetVariables(ctx, vars); err != nil {
					return nil, err
				}
			}
			if err := sess.QueryRow(ctx, "SELECT count(*) FROM ("+done+") x WHERE x.id IN (SELECT id FROM "+rawRel+")", &t.res.Already); err != nil {
				return nil, err
			}
		}
		needs = append(needs, need)
		flags = append(flags, need+fmt.Sprintf(" AS need_%d", i))
	}
	where := "(" + strings.Join(needs, " OR ") + ")"
	if only != "" {
		where += " AND r.id IN (" + only + ")"
	}
	s := &scan{raw: rawSnap}
	s.query = "SELECT r.id, coalesce(r.title, ''), coalesce(r.content, ''), coalesce(r.url, ''), coalesce(r.source, ''), " +
		"coalesce(r.published_date, ''), coalesce(r.dataset, ''), " + strings.Join(flags, ", ") + " FROM " + from + " WHERE " + where
	if err := sess.QueryRow(ctx, "SELECT count(*) FROM "+from+" WHERE "+where, &s.todo); err != nil {
		return nil, err
	}
	return s, nil
}
