package pipeline

import (
	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/ingest"
	"github.com/distillery/distillery/stages/compress"
	"github.com/distillery/distillery/stages/cv"
	"github.com/distillery/distillery/stages/evaluate"
	"github.com/distillery/distillery/stages/label"
	"github.com/distillery/distillery/stages/label/oracle"
	"github.com/distillery/distillery/stages/predict"
	"github.com/distillery/distillery/stages/prefilter"
	"github.com/distillery/distillery/stages/split"
	"github.com/distillery/distillery/stages/train"
	"github.com/distillery/distillery/students/linear"
)

// The file's sections become each stage's Options here, and only here: a
// section decoded straight into the Options, plus what the pipeline itself
// decides (the filter, the model train made, settings one section lends
// another).

func (c *Config) ingestOptions(s Source, paths []string) ingest.Options {
	o := s.Options
	o.Paths = paths
	return o
}

func (c *Config) prefilterOptions(f *filters.Filter) prefilter.Options {
	o := c.Prefilter
	o.Filter = f
	return o
}

func (c *Config) compressOptions(f *filters.Filter) compress.Options {
	o := c.Compress
	o.Filter = f
	return o
}

func (c *Config) labelOptions(f *filters.Filter, orc oracle.Oracle) label.Options {
	o := c.Oracle.Options
	o.Filter, o.Oracle = f, orc
	return o
}

func (c *Config) splitOptions(f *filters.Filter) split.Options {
	o := c.Split
	o.Filter = f
	return o
}

// trainOptions combines labels as split did unless student.combine says
// otherwise.
func (c *Config) trainOptions(f *filters.Filter) train.Options {
	o := c.Student
	o.Filter = f
	if o.Combine == "" {
		o.Combine = c.Split.Combine
	}
	o.Linear = linearDefaults(o.Linear)
	return o
}

// predictOptions predicts the split evaluate scores unless predict.split
// says otherwise.
func (c *Config) predictOptions(f *filters.Filter, model string) predict.Options {
	o := c.Predict
	o.Filter, o.Model = f, model
	if o.Split == "" {
		o.Split = evalSplit(c)
	}
	o.Device = c.predictDevice()
	return o
}

// predictDevice is predict.device, by default a lora student's own: a
// student trained on the CPU (in 4 bits, say) predicts there too.
func (c *Config) predictDevice() string {
	if c.Predict.Device == "" && c.Student.Backend == "lora" {
		return c.Student.LoRA.Device
	}
	return c.Predict.Device
}

func (c *Config) evalOptions(f *filters.Filter, model string) evaluate.Options {
	o := c.Evaluate
	o.Filter, o.Model = f, model
	o.Split = evalSplit(c)
	if o.Combine == "" {
		o.Combine = c.Split.Combine
	}
	return o
}

// cvOptions cross-validates the student section's backend; the folds are
// dealt with split's seed unless cv.seed is set.
func (c *Config) cvOptions(f *filters.Filter) cv.Options {
	seed := c.CV.Seed
	if seed == 0 {
		seed = c.Split.Seed
	}
	pr := c.Predict
	pr.Device = c.predictDevice()
	return cv.Options{Filter: f, Folds: c.CV.Folds, Seed: seed, Student: c.trainOptions(f), Predict: pr}
}

func evalSplit(c *Config) string {
	if c.Evaluate.Split == "" {
		return "test"
	}
	return c.Evaluate.Split
}

// linearDefaults fills the settings student.linear leaves out from the
// default student: train takes the defaults only when none is set, and a
// file that sets one (min_df: 1) means the others to stay as they are.
func linearDefaults(c linear.Config) linear.Config {
	if c.Bits == 0 && c.NGrams == 0 && c.MinDF == 0 && c.Lambdas == nil && c.MaxIter == 0 {
		return c
	}
	d := linear.DefaultConfig()
	if c.Bits != 0 {
		d.Bits = c.Bits
	}
	if c.NGrams != 0 {
		d.NGrams = c.NGrams
	}
	if c.MinDF != 0 {
		d.MinDF = c.MinDF
	}
	if c.Lambdas != nil {
		d.Lambdas = c.Lambdas
	}
	if c.MaxIter != 0 {
		d.MaxIter = c.MaxIter
	}
	return d
}

// checkModel stands for the model train will make when predict's and
// eval's Options are checked before the run.
const checkModel = "the model train makes"

// Check runs each stage's Options.Validate on what the file gives it with
// filter f, before any stage runs, naming the file's section in the error.
func (c *Config) Check(f *filters.Filter) error {
	e := &ConfigError{File: c.Path}
	add := func(key string, err error) {
		if err != nil {
			e.add(c.lines, key, err.Error())
		}
	}
	pre := c.prefilterOptions(f)
	add("prefilter", pre.Validate())
	comp := c.compressOptions(f)
	add("compress", comp.Validate())
	// split's Validate would say the same of a bad stratify_by without the key.
	if err := f.CheckStratifyBy(c.Split.StratifyBy); c.Split.StratifyBy != "" && err != nil {
		add("split.stratify_by", err)
	} else {
		sp := c.splitOptions(f)
		add("split", sp.Validate())
	}
	tr := c.trainOptions(f)
	add("student", tr.Validate())
	pr := c.predictOptions(f, checkModel)
	add("predict", pr.Validate())
	ev := c.evalOptions(f, checkModel)
	add("evaluate", ev.Validate())
	return e.err()
}
