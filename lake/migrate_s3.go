package lake

import (
	"context"
	"fmt"

	"github.com/apache/iceberg-go"
	icebergio "github.com/apache/iceberg-go/io"
)

// A migration into object storage (--warehouse s3://BUCKET/PREFIX) writes
// every copy and every rewritten file through the S3 IO that a lake on
// that warehouse uses (s3.go), with the endpoint, region and keys of this
// process's AWS environment; the empty-target and resume checks list the
// prefix through it; verification reads the target as a lake does (the
// object cache). Nothing of the new warehouse is written on local disk.

// newS3Migration is newMigration for an s3:// warehouse.
func newS3Migration(abs, srcWh string, o MigrateOptions) (*migration, error) {
	dst, err := checkS3Warehouse(o.Warehouse)
	if err != nil {
		return nil, err
	}
	props, err := s3Props(dst)
	if err != nil {
		return nil, err
	}
	mg := &migration{abs: abs, srcWh: srcWh, dst: dst, url: o.Catalog, name: redact(o.Catalog), o: o, ioProps: props,
		res: &MigrateResult{Source: abs, Catalog: redact(o.Catalog), Warehouse: dst, Tables: []MigratedTable{},
			Pointer: abs + "/" + PointerFile, PerFolder: perFolder}}
	mg.m = migrationMap(srcWh, dst)
	return mg, nil
}

// catalogProps are the target catalog's properties: its warehouse and, in
// object storage, the S3 IO's.
func (mg *migration) catalogProps() iceberg.Properties {
	if mg.ioProps == nil {
		return iceberg.Properties{"warehouse": fileURL(mg.dst)}
	}
	props := iceberg.Properties{"warehouse": mg.dst}
	for k, v := range mg.ioProps {
		props[k] = v
	}
	return props
}

// openTargetIO opens the target warehouse's IO for writing; in object
// storage after a probe (write and delete a small object) that says what to
// check in the AWS environment when it fails.
func (mg *migration) openTargetIO(ctx context.Context) error {
	loc := fileURL(mg.dst)
	if mg.ioProps != nil {
		loc = mg.dst
		if err := mg.probe(ctx); err != nil {
			return err
		}
	}
	fio, err := icebergio.LoadFS(ctx, mg.ioProps, loc)
	if err != nil {
		return fmt.Errorf("warehouse %s: %w", mg.dst, err)
	}
	w, ok := fio.(icebergio.WriteFileIO)
	if !ok {
		return fmt.Errorf("warehouse %s: its file system cannot be written", mg.dst)
	}
	mg.fio = w
	return nil
}

// probe checks that this process can write to and delete from the target
// prefix.
func (mg *migration) probe(ctx context.Context) error {
	fsys, err := icebergio.LoadFS(ctx, mg.ioProps, mg.dst)
	if err != nil {
		return fmt.Errorf("warehouse %s: %w (%s)", mg.dst, err, s3EnvHint(mg.dst))
	}
	w, ok := fsys.(icebergio.WriteFileIO)
	if !ok {
		return fmt.Errorf("warehouse %s: its IO cannot write", mg.dst)
	}
	name := mg.dst + "/.distill-probe-" + NewRunID()
	if err := w.WriteFile(name, []byte("distill\n")); err != nil {
		return fmt.Errorf("warehouse %s: cannot write to it: %w (%s)", mg.dst, err, s3EnvHint(mg.dst))
	}
	if err := fsys.Remove(name); err != nil {
		return fmt.Errorf("warehouse %s: cannot delete from it: %w (%s)", mg.dst, err, s3EnvHint(mg.dst))
	}
	return nil
}

// checkEmptyPrefix refuses a target prefix that already holds objects when
// a migration starts (a resumed run skips the objects already there).
func (mg *migration) checkEmptyPrefix(ctx context.Context) error {
	if err := mg.probe(ctx); err != nil {
		return err
	}
	fsys, err := icebergio.LoadFS(ctx, mg.ioProps, mg.dst)
	if err != nil {
		return fmt.Errorf("warehouse %s: %w (%s)", mg.dst, err, s3EnvHint(mg.dst))
	}
	lister, ok := fsys.(icebergio.ListableIO)
	if !ok {
		return fmt.Errorf("warehouse %s: its IO cannot list objects", mg.dst)
	}
	found, err := firstObject(mg.dst, lister)
	if err != nil {
		return err
	}
	if found != "" {
		return fmt.Errorf("--warehouse %s is not empty (it holds %s, ...): migrate copies the lake into a new, empty prefix; give another one", mg.dst, found)
	}
	return nil
}
