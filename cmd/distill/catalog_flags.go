package main

import (
	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/lake"
)

// catalogFlag is --catalog: a PostgreSQL catalog shared by several machines
// instead of DIR/catalog.db. Given once (to init, or to the first command a
// machine runs), it is recorded in DIR/catalog.json, so later commands on
// that folder need only --lake.
var catalogFlag = &cli.StringFlag{Name: "catalog", EnvVars: []string{lake.CatalogEnv},
	Usage:       "the lake's Iceberg catalog in PostgreSQL, postgres://USER@HOST:PORT/DATABASE (password in PGPASSWORD or ~/.pgpass), shared by every machine that runs stages on the lake",
	DefaultText: "DIR/catalog.db, or the catalog DIR/catalog.json names"}

// warehouseFlag is --warehouse: where a lake on a PostgreSQL catalog keeps
// its table files, when not DIR/warehouse: a folder every machine sees at
// the same path, or s3://BUCKET/PREFIX (docs/shared-catalog.md).
var warehouseFlag = &cli.StringFlag{Name: "warehouse", EnvVars: []string{"DISTILL_WAREHOUSE"},
	Usage:       "where a lake on --catalog keeps its table files: a folder seen at the same path by every machine, or s3://BUCKET/PREFIX (endpoint, region and keys from AWS_ENDPOINT_URL_S3, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)",
	DefaultText: "DIR/warehouse, or the one the catalog records"}

// lakeOptions is --catalog and --warehouse, wherever on the line they were given.
func lakeOptions(c *cli.Context) lake.Options {
	var o lake.Options
	for _, ctx := range c.Lineage() {
		if o.Catalog == "" && ctx.IsSet("catalog") {
			o.Catalog = ctx.String("catalog")
		}
		if o.Warehouse == "" && ctx.IsSet("warehouse") {
			o.Warehouse = ctx.String("warehouse")
		}
	}
	return o
}
