//go:build !duckdb_arrow

package lake

import (
	"context"
	"database/sql/driver"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// arrowBuildTag says which path queryArrow takes, for `distill --version`
// and the tests.
const arrowBuildTag = false

// queryArrow runs a query and builds Arrow batches from its rows in Go:
// duckdb-go's Arrow export needs the duckdb_arrow build tag, and a plain
// `go build ./cmd/distill` must still make a working binary. It is slower
// (measured in the README) but gives the same batches.
func queryArrow(ctx context.Context, conn driver.Conn, query string) (array.RecordReader, error) {
	return rowsToArrow(ctx, conn, query)
}
