package encode

import "errors"

// ErrDamaged means an encoder's files do not make the encoder they name.
var ErrDamaged = errors.New("encoder files damaged")

// ErrTooFewTexts means there is too little text to fit an encoder on.
var ErrTooFewTexts = errors.New("too few texts to fit an encoder")
