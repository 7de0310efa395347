package diff

import (
	"fmt"

	"github.com/distillery/distillery/lake"
)

// Side is one of the two snapshots compared.
type Side struct {
	Table string `json:"table"`
	// Seq is the snapshot's sequence number; 0 stands for the empty table
	// before its first snapshot.
	Seq        int64 `json:"sequence"`
	SnapshotID int64 `json:"snapshot_id"`
	Rows       int64 `json:"rows"`
}

// String is the side as a reference, e.g. corpus.raw@3.
func (s Side) String() string { return fmt.Sprintf("%s@%d", s.Table, s.Seq) }

func sideOf(name lake.TableName, snap *lake.Snapshot) Side {
	s := Side{Table: name.String()}
	if snap != nil {
		s.Seq, s.SnapshotID = snap.Seq, snap.ID
	}
	return s
}

// Result is what changed between two snapshots of a table.
type Result struct {
	A Side `json:"a"`
	B Side `json:"b"`
	// Key is the column rows are matched by; KeyUnique says whether every
	// key has at most one row at both snapshots. When it has several, a key
	// is unchanged only if its rows are the same multiset at A and B.
	Key       string `json:"key"`
	KeyUnique bool   `json:"key_unique"`
	// Compared are the columns both snapshots have, less the bookkeeping
	// columns in Ignored (run_id and timestamps named *_at), which every
	// rerun changes.
	Compared       []string `json:"columns_compared"`
	Ignored        []string `json:"columns_ignored"`
	ColumnsAdded   []string `json:"columns_added"`   // at B only: not compared
	ColumnsRemoved []string `json:"columns_removed"` // at A only: not compared

	// Keys by status.
	Added     int64 `json:"added"`
	Removed   int64 `json:"removed"`
	Changed   int64 `json:"changed"`
	Unchanged int64 `json:"unchanged"`
	// RowsOnlyA and RowsOnlyB count whole rows with no identical row at the
	// other side, one for one (a changed row counts once in each).
	RowsOnlyA int64 `json:"rows_only_a"`
	RowsOnlyB int64 `json:"rows_only_b"`
	// ChangedColumns counts, per column, the keys with one row at each side
	// whose value in that column differs.
	ChangedColumns []ColumnChange `json:"changed_columns"`
	// Examples lists the first keys (in key order) of each status but
	// unchanged: "added", "removed", "changed".
	Examples map[string][]string `json:"examples,omitempty"`
	// Labels is set when both sides are labels tables.
	Labels *LabelsDiff `json:"labels,omitempty"`
}

// ColumnChange is how many keys changed in one column.
type ColumnChange struct {
	Column string `json:"column"`
	Keys   int64  `json:"keys"`
}

// LabelsDiff is what a labels diff adds: how scores and tiers moved.
type LabelsDiff struct {
	// Dimensions are the score columns: the DOUBLE columns with a matching
	// <name>_evidence column at both sides.
	Dimensions []string `json:"dimensions"`
	// Means has one row per dimension, then one for overall.
	Means []MeanShift `json:"means"`
	// CommonIDs is the number of ids labeled at both snapshots.
	CommonIDs int64 `json:"common_ids"`
	// Tiers lists the tiers seen, highest first (by the mean overall score
	// of their labels); Transitions is the tier of each common id at A
	// (From) and at B (To), from its latest label by labeled_at.
	Tiers       []string     `json:"tiers"`
	Transitions []Transition `json:"transitions"`
}

// MeanShift is one score column's mean at A and B. The first three are over
// all rows; the Common ones over the ids in both, one (latest) label each.
// A nil mean means the side had no score.
type MeanShift struct {
	Dimension   string   `json:"dimension"`
	RowsA       int64    `json:"rows_a"`
	MeanA       *float64 `json:"mean_a"`
	RowsB       int64    `json:"rows_b"`
	MeanB       *float64 `json:"mean_b"`
	Shift       *float64 `json:"shift"`
	CommonMeanA *float64 `json:"common_mean_a"`
	CommonMeanB *float64 `json:"common_mean_b"`
	CommonShift *float64 `json:"common_shift"`
}

// Transition is how many common ids went from one tier to another ("" is
// a label without a tier).
type Transition struct {
	From string `json:"from"`
	To   string `json:"to"`
	IDs  int64  `json:"ids"`
}

// Count returns the number of ids that went from tier from to tier to.
func (d *LabelsDiff) Count(from, to string) int64 {
	for _, t := range d.Transitions {
		if t.From == from && t.To == to {
			return t.IDs
		}
	}
	return 0
}
