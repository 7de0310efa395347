package train

import (
	"github.com/distillery/distillery/students"
)

// ErrNoModel means no row of <filter>.models has the id.
var ErrNoModel = students.ErrNoModel

// Model is a row of <filter>.models (see students.Model).
type Model = students.Model

// Find returns the model row with the id (see students.Find).
var Find = students.Find
