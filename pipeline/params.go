package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// A stage's fingerprint hashes the settings of its section with the
// snapshots it reads. The settings pipeline.yaml had before its sections
// became the stages' Options hash as they always did (these structs, in
// their order, with their field names), so that a lake's state.json stays
// valid across the change; a setting added since is hashed in Extra only
// when the file sets it.

type oracleParams struct {
	Kind        string
	Model       string
	BaseURL     string
	Concurrency int
	RPM         float64
	TPM         float64
	MaxCost     float64
	TargetCount int
	Extra       map[string]any `json:",omitempty"`
}

type splitParams struct {
	Seed       int
	Ratios     []float64
	StratifyBy string
	Combine    string
	Balance    bool
	Extra      map[string]any `json:",omitempty"`
}

type studentParams struct {
	Backend   string
	BaseModel string
	Python    string
	Epochs    int
	LR        float64
	BatchSize int
	MaxLength int
	Device    string
	Extra     map[string]any `json:",omitempty"`
}

// evaluateParams are predict's and eval's.
type evaluateParams struct {
	Split string
	Extra map[string]any `json:",omitempty"`
}

type sourceParams struct {
	Path   string
	Source string
	Map    map[string]string
	Extra  map[string]any `json:",omitempty"`
}

func (c *Config) labelParams() any {
	o := c.Oracle
	return oracleParams{Kind: o.Kind, Model: o.Model, BaseURL: o.BaseURL, Concurrency: o.Concurrency, RPM: o.RPM, TPM: o.TPM,
		MaxCost: o.MaxCost, TargetCount: o.TargetCount,
		// A call's time limit does not change its answer: not hashed.
		Extra: setKeys(o, "kind", "model", "base_url", "concurrency", "rpm", "tpm", "max_cost", "target_count", "timeout")}
}

func (c *Config) splitParams() any {
	s := c.Split
	return splitParams{Seed: s.Seed, Ratios: s.Ratios, StratifyBy: s.StratifyBy, Combine: s.Combine, Balance: s.Balance,
		Extra: setKeys(s, "seed", "ratios", "stratify_by", "combine", "balance")}
}

func (c *Config) trainParams() any {
	s := c.Student
	return studentParams{Backend: s.Backend, BaseModel: s.LoRA.BaseModel, Python: s.LoRA.Python, Epochs: s.LoRA.Epochs, LR: s.LoRA.LR,
		BatchSize: s.LoRA.BatchSize, MaxLength: s.LoRA.MaxLength, Device: s.LoRA.Device,
		Extra: setKeys(s, "backend", "base_model", "python", "epochs", "lr", "batch_size", "max_length", "device")}
}

func (c *Config) predictParams() any {
	return evaluateParams{Split: c.Evaluate.Split, Extra: setKeys(c.Predict)}
}

func (c *Config) evalParams() any {
	return evaluateParams{Split: c.Evaluate.Split, Extra: setKeys(c.Evaluate, "split")}
}

func (c *Config) sourceParams() []sourceParams {
	var out []sourceParams
	for _, s := range c.Sources {
		out = append(out, paramsOf(s))
	}
	return out
}

func paramsOf(s Source) sourceParams {
	return sourceParams{Path: s.Path, Source: s.Source, Map: s.Map, Extra: setKeys(s, "path", "source", "map")}
}

// sourceFingerprint hashes one source's files (sizes, modification times)
// with its settings: ingest reads again only a source whose hash changed.
func (c *Config) sourceFingerprint(s Source) (string, error) {
	files, err := sourceFiles(c, s)
	if err != nil {
		return "", fmt.Errorf("source %w", err)
	}
	sort.Strings(files)
	b, err := json.Marshal(map[string]any{"files": files, "source": paramsOf(s)})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// optionalParams is a section's settings, or nil (hashing nothing, as
// before the section existed) when the file sets none.
func optionalParams(section any) any {
	if m := setKeys(section); m != nil {
		return m
	}
	return nil
}

// setKeys is the settings of a section that the file set (non-zero), by
// their YAML keys, less the keys named in except; nil when there are none.
func setKeys(section any, except ...string) map[string]any {
	out := map[string]any{}
	collect(reflect.ValueOf(section), out)
	for _, k := range except {
		delete(out, k)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func collect(v reflect.Value, out map[string]any) {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		name, opts, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if name == "-" || !sf.IsExported() {
			continue
		}
		fv := v.Field(i)
		if opts == "inline" {
			collect(fv, out)
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name)
		}
		if fv.IsZero() {
			continue
		}
		if fv.Kind() == reflect.Struct {
			sub := map[string]any{}
			collect(fv, sub)
			out[name] = sub
			continue
		}
		out[name] = fv.Interface()
	}
}
