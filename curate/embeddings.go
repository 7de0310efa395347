package curate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/students/encode"
)

// ErrNoEmbeddings means a filter has no embeddings (of the encoder asked
// for).
var ErrNoEmbeddings = errors.New("no embeddings")

// Embeddings defines embeddings_input over f's embeddings and returns the
// encoder to read: encoder, or the newest embeddings' when "".
func Embeddings(ctx context.Context, sess *lake.Session, f *filters.Filter, encoder string) (string, *lake.Snapshot, error) {
	rel, snap, err := sess.Relation(ctx, spec.Embeddings.Ref(f))
	if errors.Is(err, lake.ErrNoTable) || (err == nil && snap == nil) {
		return "", nil, spec.Need(spec.Embeddings, f.Namespace(), f.Namespace()+" has no embeddings", ErrNoEmbeddings)
	}
	if err != nil {
		return "", nil, err
	}
	if err := sess.Input(ctx, "embeddings_input", rel); err != nil {
		return "", nil, err
	}
	if encoder != "" {
		return encoder, snap, nil
	}
	err = sess.QueryRowFile(ctx, "embed/newest_encoder", nil, &encoder)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, spec.Need(spec.Embeddings, f.Namespace(), f.Namespace()+".embeddings is empty", ErrNoEmbeddings)
	}
	return encoder, snap, err
}

// Vectors reads each article's vector by encoder, of its compressed text
// as it reads now, from embeddings_input (Embeddings defines it) and
// compressed_input (the caller's).
func Vectors(ctx context.Context, sess *lake.Session, encoder string) (map[string][]float32, error) {
	out := map[string][]float32{}
	err := sess.EachFile(ctx, "embed/vectors", lake.Params{"encoder": encoder}, func(rows *sql.Rows) error {
		var id string
		var raw []any
		if err := rows.Scan(&id, &raw); err != nil {
			return err
		}
		v := make([]float32, len(raw))
		for i, x := range raw {
			f, ok := x.(float32)
			if !ok {
				return fmt.Errorf("embedding of %s: element %d is %T, not a float", id, i, x)
			}
			v[i] = f
		}
		out[id] = v
		return nil
	})
	if err == nil && len(out) == 0 {
		return nil, fmt.Errorf("%w by %s", ErrNoEmbeddings, encoder)
	}
	return out, err
}

// LatestHashed is the hashed encoder of the newest embed run in
// embeddings_input (sql/embed/latest_encoder.sql): its name, "" when no
// hashed encoder has embedded anything, and the encoder loaded from the
// lake's encoders/ folder (an error wrapping os.ErrNotExist when its files
// are gone, with the name set).
func LatestHashed(ctx context.Context, l *lake.Lake, sess *lake.Session, f *filters.Filter) (string, *encode.Hashed, error) {
	var name string
	err := sess.QueryRowFile(ctx, "embed/latest_encoder", nil, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	e, err := encode.LoadHashed(encode.Dir(l.Root, f.Namespace(), name))
	return name, e, err
}

// FitHashed fits a hashed encoder on the distinct texts of
// compressed_input (sql/embed/texts.sql), as distill embed's first run
// does, and says how many texts it was fitted on.
func FitHashed(ctx context.Context, sess *lake.Session) (*encode.Hashed, int, error) {
	var texts []string
	err := sess.EachFile(ctx, "embed/texts", nil, func(rows *sql.Rows) error {
		var t string
		if err := rows.Scan(&t); err != nil {
			return err
		}
		texts = append(texts, t)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	e, err := encode.FitHashed(texts, encode.DefaultHashed())
	return e, min(len(texts), encode.DefaultHashed().FitDocs), err
}
