package lake

import (
	"slices"
	"testing"
)

// Parameters are found where DuckDB binds them: not in comments (a file's
// header names them), string literals or quoted identifiers, and a "--"
// inside a string does not hide the rest of its line.
func TestParamNames(t *testing.T) {
	q := `-- parameters: $seed, $unused
SELECT $seed, '$not -- a comment', "$col", $ratios /* $hidden */ FROM t WHERE x = $run_id -- $also_not
  AND y = 'it''s $quoted' AND z = $z2`
	got := paramNames(q)
	want := []string{"seed", "ratios", "run_id", "z2"}
	if !slices.Equal(got, want) {
		t.Errorf("paramNames = %v, want %v", got, want)
	}
	if err := (&Session{}).SetVariables(t.Context(), Vars{"x; DROP TABLE t": 1}); err == nil {
		t.Error("SetVariables took a variable name that is not an identifier")
	}
}
