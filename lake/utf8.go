package lake

import (
	"fmt"
	"sort"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// The last line of defence against bytes that are not UTF-8: DuckDB refuses
// to read a Parquet string column holding one ("Invalid string encoding"),
// which breaks every later query of the table. Readers decode or reject
// such input; whatever still reaches Lake.Write fails the write here, naming
// the table, column and row, since the code upstream must decide what the
// text was.

// checkUTF8 returns an ErrInvalidUTF8 error for the first string value of
// rec that is not valid UTF-8; first is the write's row number of rec's row 0.
func checkUTF8(name TableName, rec arrow.RecordBatch, first int64) error {
	for c, col := range rec.Columns() {
		row, val, bad := invalidString(col)
		if !bad {
			continue
		}
		where := fmt.Sprintf("row %d of the write", first+int64(row)+1)
		if ids := rec.Schema().FieldIndices("id"); len(ids) == 1 {
			if s, ok := rec.Column(ids[0]).(*array.String); ok && s.IsValid(row) && utf8.ValidString(s.Value(row)) {
				where += fmt.Sprintf(" (id %q)", s.Value(row))
			}
		}
		return fmt.Errorf("%w: %s column %s, %s: %q", ErrInvalidUTF8, name, rec.Schema().Field(c).Name, where, clip(val))
	}
	return nil
}

// invalidString finds the first row of arr whose string (or a string inside
// it: lists, structs) is not valid UTF-8.
func invalidString(arr arrow.Array) (int, string, bool) {
	type stringValues interface {
		arrow.Array
		Value(int) string
	}
	switch a := arr.(type) {
	case *array.String, *array.LargeString, *array.StringView:
		s := a.(stringValues)
		for i := 0; i < s.Len(); i++ {
			if s.IsValid(i) && !utf8.ValidString(s.Value(i)) {
				return i, s.Value(i), true
			}
		}
	case array.ListLike:
		child, val, bad := invalidString(a.ListValues())
		if !bad {
			return 0, "", false
		}
		// The row whose list holds child element `child`.
		row := sort.Search(a.Len(), func(i int) bool {
			_, end := a.ValueOffsets(i)
			return end > int64(child)
		})
		if row < a.Len() && a.IsValid(row) {
			return row, val, true
		}
		// A child outside every valid row's range is not written; look on.
		for i := 0; i < a.Len(); i++ {
			if !a.IsValid(i) {
				continue
			}
			start, end := a.ValueOffsets(i)
			sub := array.NewSlice(a.ListValues(), start, end)
			_, v, bad := invalidString(sub)
			sub.Release()
			if bad {
				return i, v, true
			}
		}
	case *array.Struct:
		for f := 0; f < a.NumField(); f++ {
			if row, val, bad := invalidString(a.Field(f)); bad {
				return row, val, true
			}
		}
	}
	return 0, "", false
}

// clip shortens a value for an error message.
func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
