package evaluate

import "github.com/distillery/distillery/spec"

// Schema is the schema of <filter>.evaluations (see spec.Evaluations).
var Schema = spec.Evaluations.Schema(nil)
