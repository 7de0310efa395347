//go:build duckdb_arrow

package lake

import (
	"context"
	"database/sql/driver"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"
)

// arrowBuildTag says which path queryArrow takes, for `distill --version`
// and the tests.
const arrowBuildTag = true

// queryArrow runs a query and returns its rows as Arrow batches straight
// from DuckDB's own Arrow export, which exists only when duckdb-go is built
// with the duckdb_arrow tag (make build passes it).
func queryArrow(ctx context.Context, conn driver.Conn, query string) (array.RecordReader, error) {
	ar, err := duckdb.NewArrowFromConn(conn)
	if err != nil {
		return nil, err
	}
	return ar.QueryContext(ctx, query)
}
