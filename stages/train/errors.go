package train

import "errors"

// ErrSampleWeight is a --sample-weight (sample_weight) that names no
// weighting.
var ErrSampleWeight = errors.New("--sample-weight")

// ErrNoEncoder is an embed fit (Fit, Read) without Options.Encoder: Run
// resolves one, a caller of Fit passes EmbedEncoder's.
var ErrNoEncoder = errors.New("the embed backend needs an encoder (Options.Encoder: see EmbedEncoder)")

// ErrEmbedModel is an --embed-model (embed_model) that is neither hashed
// nor a folder.
var ErrEmbedModel = errors.New("embed model")
