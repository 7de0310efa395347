package encode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/distillery/distillery/students/lora"
)

// Schema metadata of the trainer's embed stream (trainer/PROTOCOL.md, ## embed).
const (
	metaKind   = "distill.encoder.kind"
	metaDim    = "distill.encoder.dim"
	metaDigest = "distill.encoder.digest"
)

// chunkRows is how many texts go in one Arrow batch to the trainer: enough
// for its longest-first sort to cut padding, small enough that it encodes
// one chunk while the next is written.
const chunkRows = 256

var textSchema = arrow.NewSchema([]arrow.Field{{Name: "text", Type: arrow.BinaryTypes.String}}, nil)

// kindPattern is what the trainer may call a model: "minilm", or a
// transformers model_type with only letters and digits kept.
var kindPattern = regexp.MustCompile(`^[a-z0-9]{1,40}$`)

// TrainerOptions tunes the trainer's embed command; a zero field leaves the
// trainer's default.
type TrainerOptions struct {
	// BatchSize is the texts per forward pass (32).
	BatchSize int
	// MaxLength is the token budget per text, special tokens included
	// (256, what sentence-transformers uses for all-MiniLM-L6-v2; capped at
	// the model's positions). It changes long texts' vectors, so the Name.
	MaxLength int
	// Device is auto (CUDA when torch sees one), cpu or cuda.
	Device string
	// Threads is torch's CPU threads (0: one per core).
	Threads int
}

// DefaultTrainerOptions is what the trainer does with no flags.
func DefaultTrainerOptions() TrainerOptions {
	return TrainerOptions{BatchSize: 32, MaxLength: 256, Device: "auto"}
}

// Validate checks the options before a process is started.
func (o TrainerOptions) Validate() error {
	switch {
	case o.BatchSize < 0:
		return fmt.Errorf("trainer encoder: batch size %d, want at least 1 (0: the default)", o.BatchSize)
	case o.MaxLength < 0 || o.MaxLength == 1:
		return fmt.Errorf("trainer encoder: max length %d, want at least 2 (0: the default)", o.MaxLength)
	case o.Threads < 0:
		return fmt.Errorf("trainer encoder: threads %d, want 0 (one per core) or more", o.Threads)
	case o.Device != "" && o.Device != "auto" && o.Device != "cpu" && o.Device != "cuda":
		return fmt.Errorf("trainer encoder: device %q, want auto, cpu or cuda", o.Device)
	}
	return nil
}

func (o TrainerOptions) args(modelDir string) []string {
	args := []string{"embed", "--model", modelDir}
	for _, f := range []struct {
		flag string
		n    int
	}{{"--batch-size", o.BatchSize}, {"--max-length", o.MaxLength}, {"--threads", o.Threads}} {
		if f.n > 0 {
			args = append(args, f.flag, strconv.Itoa(f.n))
		}
	}
	if o.Device != "" {
		args = append(args, "--device", o.Device)
	}
	return args
}

// Trainer is a sentence encoder run by the Python trainer (`python -m
// distill_trainer embed`, e.g. all-MiniLM-L6-v2): one process for the
// encoder's life, texts written to it and vectors read back as Arrow
// streams. Its Name is "<kind>-<dim>@<digest>": kind "minilm" for
// all-MiniLM-L6-v2's weights, else the model's type ("bert"); the digest is
// the first 8 hex digits of the trainer's sha256 over the weights, the
// tokenizer files, the token budget and the pooling, so the same weights in
// any folder get one name and anything that changes a vector changes it.
// Encode calls are serialised: the process answers them in turn.
type Trainer struct {
	name string
	dim  int

	mu      sync.Mutex // one Encode (or Close) at a time: vectors come back in order
	closed  error      // why Encode is refused, once closed, cancelled or failed
	shut    bool       // Close has run
	texts   chan []string
	vectors chan [][]float32
	stop    context.CancelFunc
	exited  chan struct{} // closed once the process has ended and err is set
	err     error
}

type header struct {
	kind, digest string
	dim          int
}

// NewTrainer starts the trainer's embed command on the model folder
// modelDir with python (empty: $DISTILL_PYTHON, else python3) and waits
// until the model is loaded and its dimension and digest are known. ctx
// bounds the start only; the process lives until Close, or until an Encode
// is cancelled. A missing folder fails with a *ModelError, an interpreter
// without the trainer with lora.ErrNotInstalled, and the trainer's own
// refusal (not a model folder, --device cuda without a GPU) with a
// *lora.Error carrying its message.
func NewTrainer(ctx context.Context, python, modelDir string, opts TrainerOptions) (*Trainer, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if python == "" {
		python = lora.PythonDefault()
	}
	if fi, err := os.Stat(modelDir); err != nil || !fi.IsDir() {
		return nil, &ModelError{Dir: modelDir, Python: python, Err: ErrNoModel}
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	t := &Trainer{
		texts:   make(chan []string),
		vectors: make(chan [][]float32),
		stop:    stop,
		exited:  make(chan struct{}),
	}
	ready := make(chan header, 1)
	readDone := make(chan struct{})
	go func() {
		t.err = lora.Run(runCtx, lora.Command{
			Name:   "sentence encoder",
			Python: python,
			Args:   opts.args(modelDir),
			Feed:   func(w io.Writer) error { return feed(w, t.texts, readDone) },
			Read: func(r io.Reader) error {
				defer close(readDone)
				return t.read(runCtx, r, ready)
			},
		})
		close(t.exited)
	}()
	select {
	case h := <-ready:
		t.name, t.dim = fmt.Sprintf("%s-%d@%s", h.kind, h.dim, h.digest[:8]), h.dim
		return t, nil
	case <-t.exited:
		stop()
		if t.err == nil {
			return nil, errors.New("sentence encoder: the trainer exited before it sent its schema")
		}
		return nil, t.err
	case <-ctx.Done():
		stop()
		<-t.exited
		return nil, fmt.Errorf("sentence encoder: %w", ctx.Err())
	}
}

// Name is "<kind>-<dim>@<digest>", e.g. "minilm-384@d5440f55".
func (t *Trainer) Name() string { return t.name }

// Dim is the model's hidden size (384 for all-MiniLM-L6-v2).
func (t *Trainer) Dim() int { return t.dim }

// Encode embeds texts through the trainer. A cancelled ctx stops the
// process: the encoder is closed then, and later calls fail with ErrClosed.
func (t *Trainer) Encode(ctx context.Context, texts []string) ([][]float32, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed != nil {
		return nil, t.closed
	}
	if len(texts) == 0 {
		return [][]float32{}, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err // before the send, which select might pick even now
	}
	select {
	case t.texts <- texts:
	case <-t.exited:
		return nil, t.failed()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	out := make([][]float32, 0, len(texts))
	for len(out) < len(texts) {
		select {
		case vs := <-t.vectors:
			out = append(out, vs...)
		case <-t.exited:
			return nil, t.failed()
		case <-ctx.Done():
			// The process holds answers nobody will read: stop it.
			t.closed = fmt.Errorf("%w: an Encode was cancelled", ErrClosed)
			t.stop()
			<-t.exited
			return nil, ctx.Err()
		}
	}
	if len(out) != len(texts) {
		t.closed = fmt.Errorf("%w: the trainer answered out of turn", ErrClosed)
		t.stop()
		return nil, fmt.Errorf("sentence encoder: %d vectors for %d texts", len(out), len(texts))
	}
	return out, nil
}

// failed is why Encode cannot go on once the process has ended.
func (t *Trainer) failed() error {
	t.closed = fmt.Errorf("%w: the trainer has exited", ErrClosed)
	if t.err != nil {
		return t.err
	}
	return errors.New("sentence encoder: the trainer exited before it answered")
}

// Close ends the input stream and waits for the process to exit. It
// returns the trainer's error when it failed on the way out, nil when an
// Encode already returned why the process ended.
func (t *Trainer) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.shut {
		return nil
	}
	t.shut = true
	reported := t.closed != nil
	t.closed = fmt.Errorf("%w: Close was called", ErrClosed)
	close(t.texts)
	<-t.exited
	t.stop()
	if reported {
		return nil
	}
	return t.err
}

// feed writes each Encode's texts as Arrow batches of chunkRows until the
// texts channel is closed (the stream's end then) or the reader has ended.
func feed(w io.Writer, texts <-chan []string, readDone <-chan struct{}) error {
	iw := ipc.NewWriter(w, ipc.WithSchema(textSchema))
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	for {
		select {
		case batch, ok := <-texts:
			if !ok {
				return iw.Close()
			}
			for lo := 0; lo < len(batch); lo += chunkRows {
				b.AppendValues(batch[lo:min(lo+chunkRows, len(batch))], nil)
				col := b.NewArray()
				rec := array.NewRecordBatch(textSchema, []arrow.Array{col}, int64(col.Len()))
				err := iw.Write(rec)
				rec.Release()
				col.Release()
				if err != nil {
					return err
				}
			}
		case <-readDone:
			return nil
		}
	}
}

// read takes the header from the stream's schema, hands it to NewTrainer,
// then passes on each batch's vectors.
func (t *Trainer) read(ctx context.Context, r io.Reader, ready chan<- header) error {
	rdr, err := ipc.NewReader(r)
	if cutShort(err) {
		return nil // the trainer failed before its schema: how it exited says why
	}
	if err != nil {
		return fmt.Errorf("read the trainer's vectors: %w", err)
	}
	defer rdr.Release()
	h, err := parseHeader(rdr.Schema())
	if err != nil {
		return err
	}
	ready <- h
	for rdr.Next() {
		vs, err := batchVectors(rdr.RecordBatch(), h.dim)
		if err != nil {
			return err
		}
		select {
		case t.vectors <- vs:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if cutShort(rdr.Err()) {
		return nil
	}
	return rdr.Err()
}

// cutShort is a stream that ended early: the trainer exited (or is
// exiting) with its error event on stderr. Read then returns nil, so that
// lora.Run waits for that and reports it, rather than stopping a trainer
// whose message is on its way.
func cutShort(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// parseHeader reads the encoder's kind, dimension and digest from the
// schema's metadata and checks them against the vector column.
func parseHeader(s *arrow.Schema) (header, error) {
	md := s.Metadata()
	get := func(k string) string {
		if i := md.FindKey(k); i >= 0 {
			return md.Values()[i]
		}
		return ""
	}
	h := header{kind: get(metaKind), digest: get(metaDigest)}
	dim, err := strconv.Atoi(get(metaDim))
	h.dim = dim
	fields := s.Fields()
	switch {
	case err != nil || dim < 1:
		return h, fmt.Errorf("the trainer's schema has %s %q, want a positive integer (an older trainer? reinstall it: make trainer-venv)", metaDim, get(metaDim))
	case !kindPattern.MatchString(h.kind) || len(h.digest) < 8:
		return h, fmt.Errorf("the trainer's schema has %s %q and %s %q, want a name and a sha256", metaKind, h.kind, metaDigest, h.digest)
	case len(fields) != 1 || fields[0].Name != "vector" || !arrow.TypeEqual(fields[0].Type, arrow.FixedSizeListOf(int32(dim), arrow.PrimitiveTypes.Float32)):
		return h, fmt.Errorf("the trainer's schema is %s, want vector: fixed_size_list<float32>[%d]", s, dim)
	}
	return h, nil
}

// batchVectors copies a batch's vectors out of Arrow's buffers.
func batchVectors(rec arrow.RecordBatch, dim int) ([][]float32, error) {
	col, ok := rec.Column(0).(*array.FixedSizeList)
	if !ok {
		return nil, fmt.Errorf("the trainer's vectors are %s, want fixed_size_list<float32>[%d]", rec.Column(0).DataType(), dim)
	}
	vals, ok := col.ListValues().(*array.Float32)
	if !ok {
		return nil, fmt.Errorf("the trainer's vectors are %s, want fixed_size_list<float32>[%d]", col.DataType(), dim)
	}
	n := col.Len()
	flat := make([]float32, n*dim)
	off := col.Offset() * dim
	copy(flat, vals.Float32Values()[off:off+n*dim])
	out := make([][]float32, n)
	for i := range out {
		out[i] = flat[i*dim : (i+1)*dim : (i+1)*dim]
	}
	return out, nil
}
