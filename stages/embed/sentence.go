package embed

import (
	"context"

	"github.com/distillery/distillery/students/encode"
)

// sentenceEncoder runs the sentence-encoder folder opts.Model through the
// Python trainer (python -m distill_trainer embed): opts.Python, else
// $DISTILL_PYTHON, else python3.
func sentenceEncoder(ctx context.Context, opts Options) (encode.Encoder, error) {
	to := encode.DefaultTrainerOptions()
	to.BatchSize, to.Device = opts.BatchSize, opts.Device
	if to.Device == "" {
		to.Device = "auto"
	}
	return encode.NewTrainer(ctx, opts.Python, opts.Model, to)
}
