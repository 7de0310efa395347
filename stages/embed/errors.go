package embed

import "errors"

// Sentinel errors, wrapped with what they concern.
var (
	// ErrOptions means the options are incomplete or out of range.
	ErrOptions = errors.New("embed: bad options")
	// ErrNoCompressed means the filter has no compressed articles to embed.
	ErrNoCompressed = errors.New("no compressed articles")
	// ErrEncoderMissing means the embeddings name an encoder whose files
	// are gone from the lake.
	ErrEncoderMissing = errors.New("encoder files missing")
)
