package lake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sync"

	icebergio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"
)

// Every file iceberg-go writes for this package (data files, manifests,
// manifest lists, metadata.json) goes through recordingFS, which notes it in
// the recorder the operation put in its context. An operation that fails for
// good then removes exactly the files it wrote, and no other writer's: a
// full disk or a read-only catalog leaves nothing behind.

func init() {
	// Replace iceberg-go's local file system (schemes "file" and "") with
	// the recording one. iceberg-go registers it in its own init, which runs
	// before this package's.
	for _, scheme := range []string{"file", ""} {
		icebergio.Unregister(scheme)
		icebergio.Register(scheme, func(ctx context.Context, _ *url.URL, _ map[string]string) (icebergio.IO, error) {
			return recordingFS{rec: recorderFrom(ctx)}, nil
		})
	}
}

type recorderKey struct{}

// recorder collects the paths of the files created under one context.
type recorder struct {
	parent *recorder
	mu     sync.Mutex
	paths  []string
	ioErr  error // the first failed file write, whatever iceberg-go reports
	// objects maps the recorded paths that are objects (s3://) to the IO
	// that deletes them.
	objects map[string]icebergio.IO
}

// withRecorder returns ctx with a new recorder (files it records are
// recorded in ctx's recorder too, if it has one).
func withRecorder(ctx context.Context) (context.Context, *recorder) {
	r := &recorder{parent: recorderFrom(ctx)}
	return context.WithValue(ctx, recorderKey{}, r), r
}

func recorderFrom(ctx context.Context) *recorder {
	r, _ := ctx.Value(recorderKey{}).(*recorder)
	return r
}

func (r *recorder) add(path string) {
	for ; r != nil; r = r.parent {
		r.mu.Lock()
		r.paths = append(r.paths, path)
		r.mu.Unlock()
	}
}

// addObject records an object written through fsys.
func (r *recorder) addObject(path string, fsys icebergio.IO) {
	for ; r != nil; r = r.parent {
		r.mu.Lock()
		r.paths = append(r.paths, path)
		if r.objects == nil {
			r.objects = map[string]icebergio.IO{}
		}
		r.objects[path] = fsys
		r.mu.Unlock()
	}
}

func (r *recorder) fail(err error) {
	for ; r != nil; r = r.parent {
		r.mu.Lock()
		if r.ioErr == nil {
			r.ioErr = err
		}
		r.mu.Unlock()
	}
}

// cause is err, or, when err only says a writer stopped ("writer is
// closed"), the file write that stopped it.
func (r *recorder) cause(err error) error {
	r.mu.Lock()
	ioErr := r.ioErr
	r.mu.Unlock()
	if ioErr != nil && (err == nil || errors.Is(err, table.ErrWriterClosed) || errors.Is(err, context.Canceled)) {
		return fmt.Errorf("%w (%w)", ioErr, err)
	}
	return err
}

// created returns the local paths (and object URLs) of the files recorded so far.
func (r *recorder) created() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.paths...)
}

// removeExcept deletes the recorded files not in keep (best effort: a file
// left behind is an orphan that Expire collects).
func (r *recorder) removeExcept(keep map[string]bool) {
	for _, p := range r.created() {
		if keep[p] {
			continue
		}
		r.mu.Lock()
		obj := r.objects[p]
		r.mu.Unlock()
		if obj != nil {
			_ = obj.Remove(p)
		} else if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			continue
		}
	}
}

// writeFault, when set (by tests), fails the writes of the files it
// returns an error for, as a full disk or a read-only folder would.
var writeFault func(path string) error

// recordingFS is iceberg-go's local file system with its writes recorded.
type recordingFS struct {
	icebergio.LocalFS
	rec *recorder
}

func (f recordingFS) Create(name string) (icebergio.FileWriter, error) {
	f.note(name)
	w, err := f.LocalFS.Create(name)
	if err != nil {
		f.fail(err)
		return nil, err
	}
	if writeFault != nil {
		if ferr := writeFault(localPath(name)); ferr != nil {
			w = faultyWriter{w, &os.PathError{Op: "write", Path: localPath(name), Err: ferr}}
		}
	}
	if f.rec == nil {
		return w, nil
	}
	return recordingWriter{w, f.rec}, nil
}

func (f recordingFS) WriteFile(name string, content []byte) error {
	f.note(name)
	if writeFault != nil {
		if err := writeFault(localPath(name)); err != nil {
			_ = os.WriteFile(localPath(name), nil, 0o644) // the empty file a full disk leaves
			err = &os.PathError{Op: "write", Path: localPath(name), Err: err}
			f.fail(err)
			return err
		}
	}
	err := f.LocalFS.WriteFile(name, content)
	f.fail(err)
	return err
}

func (f recordingFS) fail(err error) {
	if err != nil && f.rec != nil {
		f.rec.fail(err)
	}
}

// recordingWriter notes the first failed write of a created file.
type recordingWriter struct {
	icebergio.FileWriter
	rec *recorder
}

func (w recordingWriter) Write(b []byte) (int, error) {
	n, err := w.FileWriter.Write(b)
	if err != nil {
		w.rec.fail(err)
	}
	return n, err
}

func (w recordingWriter) ReadFrom(r io.Reader) (int64, error) {
	n, err := w.FileWriter.ReadFrom(r)
	if err != nil {
		w.rec.fail(err)
	}
	return n, err
}

func (w recordingWriter) Close() error {
	err := w.FileWriter.Close()
	if err != nil {
		w.rec.fail(err)
	}
	return err
}

func (f recordingFS) note(name string) {
	if f.rec != nil {
		f.rec.add(localPath(name))
	}
}

// faultyWriter is a created file whose every write fails.
type faultyWriter struct {
	icebergio.FileWriter
	err error
}

func (w faultyWriter) Write([]byte) (int, error) { return 0, w.err }

func (w faultyWriter) ReadFrom(io.Reader) (int64, error) { return 0, w.err }
