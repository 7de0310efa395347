package lake

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"time"

	icebergio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/io/gocloud/blobfs"
	_ "github.com/apache/iceberg-go/io/gocloud/s3" // registers the s3:// IO (replaced below by the recording one)
	"github.com/apache/iceberg-go/table"
)

// A lake on a PostgreSQL catalog may keep its table files in object storage:
// `--warehouse s3://BUCKET/PREFIX`. iceberg-go writes and reads them through
// its gocloud S3 IO. The endpoint, region and credentials come from the
// standard AWS environment of each process (AWS_ENDPOINT_URL_S3 or
// AWS_ENDPOINT_URL, AWS_REGION or AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY or the rest of the SDK's default chain) and are
// handed to the catalog in memory only: neither the catalog, the table
// metadata nor catalog.json ever holds them. DuckDB, which has no S3 reader
// here, reads local copies of the data files a view needs (objcache.go).

func init() {
	// Record the files iceberg-go writes to object storage as recordingFS
	// does for local ones. The S3 factory is unexported: it stays registered
	// under s3a, whose IO accepts s3:// paths too.
	icebergio.Unregister("s3")
	icebergio.Register("s3", func(ctx context.Context, u *url.URL, props map[string]string) (icebergio.IO, error) {
		inner, err := icebergio.LoadFS(ctx, props, "s3a://"+u.Host+u.Path)
		if err != nil {
			return nil, err
		}
		b, ok := inner.(*blobfs.FileIO)
		if !ok {
			return nil, fmt.Errorf("s3 IO: unexpected %T", inner)
		}
		return recordingBlobFS{b, recorderFrom(ctx)}, nil
	})
}

// isObjectStore reports whether a warehouse or file location is in object
// storage.
func isObjectStore(loc string) bool { return strings.HasPrefix(loc, "s3://") }

// objectStoreLake reports whether the lake keeps its files in object storage.
func (l *Lake) objectStoreLake() bool { return l.shared != nil && isObjectStore(l.shared.warehouse) }

// checkS3Warehouse checks the form of an s3:// warehouse URL.
func checkS3Warehouse(wh string) (string, error) {
	u, err := url.Parse(wh)
	if err != nil || u.Scheme != "s3" || u.Host == "" || u.RawQuery != "" || u.User != nil {
		return "", fmt.Errorf("--warehouse %s: not an object-storage warehouse; want s3://BUCKET/PREFIX (endpoint, region and keys come from the AWS environment, never from the URL)", wh)
	}
	return "s3://" + u.Host + "/" + strings.Trim(u.Path, "/"), nil
}

// s3Props are the catalog properties that give iceberg-go's S3 IO the
// endpoint and region of this process's AWS environment (the keys it reads
// from the environment itself).
func s3Props(wh string) (map[string]string, error) {
	region := firstEnv("AWS_REGION", "AWS_DEFAULT_REGION")
	if region == "" {
		return nil, fmt.Errorf("warehouse %s: set AWS_REGION to the bucket's region (any value, e.g. us-east-1, for a local S3-compatible server that has none)", wh)
	}
	props := map[string]string{icebergio.S3Region: region}
	if ep := firstEnv("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"); ep != "" {
		props[icebergio.S3EndpointURL] = ep
	}
	return props, nil
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// s3EnvHint names what to check when the warehouse cannot be reached.
func s3EnvHint(wh string) string {
	u, _ := url.Parse(wh)
	ep := firstEnv("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
	if ep == "" {
		ep = "AWS's default"
	}
	return fmt.Sprintf("check the endpoint (%s; AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL), the keys (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), AWS_REGION, and that bucket %q exists", ep, u.Host)
}

// probeWarehouse checks that the warehouse can be reached with this
// process's credentials: with write, by writing and deleting a small
// object; else by asking for one that does not exist.
func probeWarehouse(ctx context.Context, wh string, props map[string]string, write bool) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	fsys, err := icebergio.LoadFS(ctx, props, wh)
	if err != nil {
		return fmt.Errorf("warehouse %s: %w (%s)", wh, err, s3EnvHint(wh))
	}
	name := wh + "/.distill-probe-" + NewRunID()
	if write {
		w, ok := fsys.(icebergio.WriteFileIO)
		if !ok {
			return fmt.Errorf("warehouse %s: its IO cannot write", wh)
		}
		if err := w.WriteFile(name, []byte("distill\n")); err != nil {
			return fmt.Errorf("warehouse %s: cannot write to it: %w (%s)", wh, err, s3EnvHint(wh))
		}
		if err := fsys.Remove(name); err != nil {
			return fmt.Errorf("warehouse %s: cannot delete from it: %w (%s)", wh, err, s3EnvHint(wh))
		}
		return emptyPrefix(wh, fsys)
	}
	f, err := fsys.Open(name)
	if err == nil {
		f.Close()
		return nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return fmt.Errorf("warehouse %s: cannot read from it: %w (%s)", wh, err, s3EnvHint(wh))
}

// emptyPrefix refuses a new lake's warehouse that already holds objects:
// its files would mix with another lake's (and that lake's expire would
// delete them as orphans).
func emptyPrefix(wh string, fsys icebergio.IO) error {
	lister, ok := fsys.(icebergio.ListableIO)
	if !ok {
		return nil
	}
	found, err := firstObject(wh, lister)
	if err != nil {
		return err
	}
	if found != "" {
		return fmt.Errorf("%w: warehouse %s already holds objects (%s): a new lake there would mix its files with another's; give another prefix", ErrLakeExists, wh, found)
	}
	return nil
}

// removeFile deletes a file the lake wrote (a local path or an object),
// ignoring one already gone.
func (l *Lake) removeFile(ctx context.Context, p string) error {
	if !isObjectStore(p) {
		if err := os.Remove(localPath(p)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	if l.shared == nil {
		return fmt.Errorf("%s: not in this lake's warehouse", p)
	}
	fsys, err := icebergio.LoadFS(ctx, l.shared.ioProps, p)
	if err != nil {
		return err
	}
	if err := fsys.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// recordingBlobFS is iceberg-go's S3 IO with its writes recorded.
type recordingBlobFS struct {
	*blobfs.FileIO
	rec *recorder
}

func (f recordingBlobFS) Create(name string) (icebergio.FileWriter, error) {
	if f.rec != nil {
		f.rec.addObject(name, f.FileIO)
	}
	w, err := f.FileIO.Create(name)
	if err != nil {
		if f.rec != nil {
			f.rec.fail(err)
		}
		return nil, err
	}
	if f.rec == nil {
		return w, nil
	}
	return recordingWriter{w, f.rec}, nil
}

func (f recordingBlobFS) WriteFile(name string, content []byte) error {
	if f.rec != nil {
		f.rec.addObject(name, f.FileIO)
	}
	err := f.FileIO.WriteFile(name, content)
	if err != nil && f.rec != nil {
		f.rec.fail(err)
	}
	return err
}

// countObjects counts the objects under prefix whose names end in suffix.
func countObjects(ctx context.Context, tbl *table.Table, prefix, suffix string) (int, error) {
	fsys, err := tbl.FS(ctx)
	if err != nil {
		return 0, err
	}
	lister, ok := fsys.(icebergio.ListableIO)
	if !ok {
		return 0, fmt.Errorf("%s: its IO cannot list objects", prefix)
	}
	n := 0
	err = lister.WalkDir(prefix, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, suffix) {
			n++
		}
		return nil
	})
	return n, err
}

// firstObject is the first object under the warehouse prefix wh ("" when
// it holds none).
func firstObject(wh string, lister icebergio.ListableIO) (string, error) {
	var found string
	err := lister.WalkDir(wh, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			found = p
			return fs.SkipAll
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("warehouse %s: cannot list it: %w (%s)", wh, err, s3EnvHint(wh))
	}
	return found, nil
}
