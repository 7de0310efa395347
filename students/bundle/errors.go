package bundle

import "errors"

var (
	// ErrNotEmpty means export's folder exists and holds files (--force
	// replaces it).
	ErrNotEmpty = errors.New("the export folder is not empty")
	// ErrManifest is a manifest.json that is missing, unreadable or of
	// another format.
	ErrManifest = errors.New("bad manifest")
	// ErrHash is a file whose sha256 or size is not the manifest's.
	ErrHash = errors.New("file differs from the manifest")
	// ErrMissing is a file the manifest lists that the folder lacks.
	ErrMissing = errors.New("file missing")
	// ErrExtra is a file in the folder the manifest does not list.
	ErrExtra = errors.New("file not in the manifest")
	// ErrMismatch is a prediction of the folder's model that differs from
	// the one the lake recorded for the article.
	ErrMismatch = errors.New("prediction differs from the lake's")
	// ErrBackend is a model this export cannot carry (e.g. an embed model
	// on a sentence encoder, whose weights live outside the lake).
	ErrBackend = errors.New("backend not exportable")
	// ErrNoPredictions means the lake holds no predictions of the model to
	// compare with.
	ErrNoPredictions = errors.New("no predictions of the model in the lake")
)
