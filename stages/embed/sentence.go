package embed

import (
	"context"
	"fmt"

	"github.com/distillery/distillery/students/encode"
)

// sentenceEncoder runs the sentence encoder folder opts.Model through the
// Python trainer.
func sentenceEncoder(ctx context.Context, opts Options) (encode.Encoder, error) {
	return nil, fmt.Errorf("%w: sentence encoders are not wired yet (%s)", ErrOptions, opts.Model)
}
