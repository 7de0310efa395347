package lake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	icebergio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"
)

// DuckDB here has no S3 reader (its httpfs extension cannot be installed),
// so a view over a table in object storage reads local copies of the data
// files: the object cache. Iceberg data files are immutable (a rewrite
// writes a new path), so a copy is keyed by the object's URL and its size
// from the manifest and never goes stale. Copies are fetched in parallel,
// written under a temporary name and renamed, so processes sharing the
// folder never see a partial file; a copy whose size is wrong is fetched
// again. When the folder grows over its limit the copies used least
// recently (by modification time, which each use refreshes) are deleted,
// never those used in the last ObjectCacheKeep (a view another process may
// be reading).

// ObjectCacheEnv names the folder of the object cache (default: the user's
// cache folder, e.g. ~/.cache/distill/objects).
const ObjectCacheEnv = "DISTILL_OBJECT_CACHE"

// ObjectCacheMaxEnv is the cache's size limit in bytes (or with a K, M, G
// or T suffix); default DefaultObjectCacheMax.
const ObjectCacheMaxEnv = "DISTILL_OBJECT_CACHE_MAX"

// DefaultObjectCacheMax is the object cache's default size limit.
const DefaultObjectCacheMax = 20 << 30

// ObjectCacheKeep is how long a used copy is safe from eviction.
const ObjectCacheKeep = time.Hour

// objectFetchers is how many objects are fetched at once.
const objectFetchers = 8

// ObjectCacheDir is the object cache's folder.
func ObjectCacheDir() (string, error) {
	if d := os.Getenv(ObjectCacheEnv); d != "" {
		return filepath.Abs(d)
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("object cache: no user cache folder (%w): set %s", err, ObjectCacheEnv)
	}
	return filepath.Join(d, "distill", "objects"), nil
}

func objectCacheMax() (int64, error) {
	v := strings.TrimSpace(os.Getenv(ObjectCacheMaxEnv))
	if v == "" {
		return DefaultObjectCacheMax, nil
	}
	mult := int64(1)
	if i := strings.IndexAny(strings.ToUpper(v), "KMGT"); i > 0 {
		mult = 1 << (10 * (strings.Index("KMGT", strings.ToUpper(v[i:i+1])) + 1))
		v = v[:i]
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive size in bytes, e.g. 20G", ObjectCacheMaxEnv, os.Getenv(ObjectCacheMaxEnv))
	}
	return n * mult, nil
}

// cacheName is the file name of an object's copy.
func cacheName(obj string, size int64) string {
	h := sha256.Sum256([]byte(obj + "\n" + strconv.FormatInt(size, 10)))
	return hex.EncodeToString(h[:20]) + ".parquet"
}

// localCopies replaces the object URLs among sf's paths with the paths of
// local copies, fetching the missing ones, and fetches the position and
// equality delete files in object storage too (sf.copies). Deletion vectors
// are read through the table's IO (deletes.go), not copied.
func (l *Lake) localCopies(ctx context.Context, name TableName, tbl *table.Table, sf *scanFiles) error {
	var objs []string
	var sizes []int64
	var idx []int
	for i, p := range sf.paths {
		if isObjectStore(p) {
			idx = append(idx, i)
			objs, sizes = append(objs, p), append(sizes, sf.sizes[i])
		}
	}
	seen := map[string]bool{}
	for _, d := range sf.deletes {
		if d == nil {
			continue
		}
		for _, f := range append(slices.Clip(d.pos), d.eq...) {
			if p := f.FilePath(); isObjectStore(p) && !seen[p] {
				seen[p] = true
				objs, sizes = append(objs, p), append(sizes, f.FileSizeBytes())
			}
		}
	}
	if len(objs) == 0 {
		return nil
	}
	locals, err := l.fetchObjects(ctx, name, tbl, objs, sizes)
	if err != nil {
		return err
	}
	for k, i := range idx {
		sf.paths[i] = locals[k]
	}
	if len(objs) > len(idx) {
		sf.copies = map[string]string{}
		for k := len(idx); k < len(objs); k++ {
			sf.copies[objs[k]] = locals[k]
		}
	}
	return nil
}

// fetchObjects returns the paths of local copies of objs (sizes[i] bytes
// each), fetching the missing ones in parallel, then evicts old copies.
func (l *Lake) fetchObjects(ctx context.Context, name TableName, tbl *table.Table, objs []string, sizes []int64) ([]string, error) {
	dir, err := ObjectCacheDir()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("object cache %s: %w", dir, err)
	}
	fsys, err := tbl.FS(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	need := map[string]bool{}
	locals := make([]string, len(objs))
	errs := make([]error, len(objs))
	sem := make(chan struct{}, objectFetchers)
	var wg sync.WaitGroup
	for k, obj := range objs {
		size := sizes[k]
		local := filepath.Join(dir, cacheName(obj, size))
		need[local] = true
		locals[k] = local
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[k] = fetchObject(ctx, fsys, obj, size, local)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%s: fetch data files from %s: %w (%s)", name, l.Warehouse(), err, s3EnvHint(l.Warehouse()))
	}
	return locals, evictObjects(dir, need)
}

// fetchObject makes local a copy of obj (size bytes), unless one is there.
func fetchObject(ctx context.Context, fsys icebergio.IO, obj string, size int64, local string) error {
	now := time.Now()
	if fi, err := os.Stat(local); err == nil && fi.Size() == size {
		_ = os.Chtimes(local, now, now) // used: last to be evicted
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	src, err := fsys.Open(obj)
	if err != nil {
		return err
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Dir(local), ".fetch-*")
	if err != nil {
		return fmt.Errorf("object cache: %w", err)
	}
	n, err := io.Copy(tmp, src)
	if err == nil {
		err = tmp.Chmod(0o644) // as the lake's own files: readable by the other users of a shared cache
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != size {
		err = fmt.Errorf("%s: got %d bytes, the manifest says %d", obj, n, size)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), local)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("fetch %s: %w", obj, err)
	}
	return nil
}

// evictObjects deletes the least recently used copies while the cache is
// over its limit, keeping need and whatever was used in the last
// ObjectCacheKeep, and temporary files abandoned for as long.
func evictObjects(dir string, need map[string]bool) error {
	max, err := objectCacheMax()
	if err != nil {
		return err
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("object cache %s: %w", dir, err)
	}
	type copyInfo struct {
		path string
		size int64
		used time.Time
	}
	var all []copyInfo
	var total int64
	now := time.Now()
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if strings.HasPrefix(e.Name(), ".fetch-") {
			if now.Sub(fi.ModTime()) > ObjectCacheKeep {
				os.Remove(p) // left by a killed process
			}
			continue
		}
		all = append(all, copyInfo{p, fi.Size(), fi.ModTime()})
		total += fi.Size()
	}
	if total <= max {
		return nil
	}
	sort.Slice(all, func(i, j int) bool { return all[i].used.Before(all[j].used) })
	for _, c := range all {
		if total <= max {
			break
		}
		if need[c.path] || now.Sub(c.used) < ObjectCacheKeep {
			continue
		}
		if err := os.Remove(c.path); err == nil || errors.Is(err, fs.ErrNotExist) {
			total -= c.size
		}
	}
	return nil
}
