package train

import (
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/students"
)

// ErrNoModel means no row of <filter>.models has the id.
var ErrNoModel = students.ErrNoModel

// ModelsTable is <filter>.models: one row per trained student.
func ModelsTable(f *filters.Filter) lake.TableName { return spec.Models.For(f) }

// ModelsSchema is the schema of <filter>.models.
var ModelsSchema = spec.Models.Schema(nil)

// Model is a row of <filter>.models (see students.Model).
type Model = students.Model

// Find returns the model row with the id (see students.Find).
var Find = students.Find
