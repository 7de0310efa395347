package label

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/distillery/distillery/filters"
	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
	"github.com/distillery/distillery/stages/label/oracle"
)

// BatchOracle is an oracle with a batch API (Gemini's, about half price).
type BatchOracle interface {
	oracle.Oracle
	SubmitBatch(ctx context.Context, display string, items []oracle.BatchItem) (string, error)
	BatchState(ctx context.Context, name string) (string, []oracle.BatchResult, error)
}

// BatchDiscount is what a batch call costs relative to a live one.
const BatchDiscount = 0.5

// Job is a submitted batch job, kept in lake/journal/<filter>.batches.jsonl
// until its answers are committed.
type Job struct {
	Name        string    `json:"job"`
	Oracle      string    `json:"oracle"`
	Model       string    `json:"model"`
	Requests    int       `json:"requests"`
	SubmittedAt time.Time `json:"submitted_at"`
	State       string    `json:"state,omitempty"`
	// ThinkingBudget and Evidence are the answer settings the requests
	// were made with, recorded with the labels Collect makes of them (a
	// job from before there were settings: none and full).
	ThinkingBudget *int   `json:"thinking_budget,omitempty"`
	Evidence       string `json:"evidence_mode,omitempty"`
}

// settings are the answer settings to record with the job's labels.
func (j Job) settings() settings {
	s := settings{evidence: j.Evidence, thinking: thinking{budget: j.ThinkingBudget}}
	if s.evidence == "" {
		s.evidence = filters.EvidenceFull
	}
	return s
}

// Submission summarises SubmitBatch.
type Submission struct {
	Job          string  `json:"job"`
	Requests     int     `json:"requests"`
	Cached       int64   `json:"cached"`
	ExpectedCost float64 `json:"expected_cost_usd"`
	// Warnings say where the model cannot have the settings asked for.
	Warnings []string `json:"warnings,omitempty"`
}

func jobsPath(l *lake.Lake, ns string) string {
	return filepath.Join(l.Root, "journal", ns+".batches.jsonl")
}

// SubmitBatch sends every article that needs an answer as one batch job.
// Cache hits are labeled at once, for free; `Collect` picks the answers up.
func SubmitBatch(ctx context.Context, l *lake.Lake, opts Options) (Submission, error) {
	var sub Submission
	if err := opts.Validate(); err != nil {
		return sub, err
	}
	opts.defaults()
	bo, ok := opts.Oracle.(BatchOracle)
	if !ok {
		return sub, ErrNoBatch
	}
	if opts.RPD > 0 {
		return sub, fmt.Errorf("%w: RPD (--rpd) counts live requests; a batch job has the batch API's own limits: leave it out", ErrOptions)
	}
	var res Result
	res.FailedBy = map[string]int64{}
	set := resolveSettings(opts, &res)
	sub.Warnings = res.Warnings
	w, err := openWriter(ctx, l, opts.Filter, set, &res, false)
	if err != nil {
		return sub, err
	}
	defer w.close()
	w.params = lineageParams(opts, set)
	items, cache, err := plan(ctx, l, w, bo, opts, &res)
	if err != nil {
		return sub, err
	}
	price, priced := priceOf(opts.Filter, bo.Kind(), bo.Model())
	if err := checkPriced(opts.Filter, bo.Model(), priced, opts); err != nil {
		return sub, err
	}
	var hits []entry
	var batch []oracle.BatchItem
	schema := w.schema
	for _, g := range groupByKey(items) {
		it := g.lead
		if c, ok := cache[it.key]; ok {
			if s, err := Parse(w.f, c.Response); err == nil {
				c.Oracle, c.Model = bo.Kind(), bo.Model()
				for _, it := range append([]item{it}, g.twins...) {
					hits = append(hits, entry{Label: w.row(it, s, c, 0, true)})
				}
				continue
			}
		}
		if opts.TargetCount > 0 && len(batch) >= opts.TargetCount {
			break
		}
		est := BatchDiscount * cost(price, promptTokens(it.prompt), opts.MaxTokens/4)
		if opts.MaxCost > 0 && sub.ExpectedCost+est > opts.MaxCost {
			break
		}
		sub.ExpectedCost += est
		meta := map[string]string{"key": it.key, "id": it.id, "prompt_sha256": it.promptSHA, "input_sha256": it.inputSHA}
		if it.repeat > 0 { // each repeat is a request of its own, with its own key
			meta["repeat"] = strconv.Itoa(it.repeat)
		}
		if it.by != "" { // how --select or --sample chose it, for the labels Collect makes
			meta["selected_by"], meta["inclusion"] = it.by, strconv.FormatFloat(it.inclusion, 'g', -1, 64)
			meta["selection"] = w.res.Selection
		}
		if len(g.twins) > 0 {
			// One request for every article with this prompt: the answer labels them all.
			ts := make([]twin, len(g.twins))
			for i, tw := range g.twins {
				ts[i] = twin{ID: tw.id, InputSHA: tw.inputSHA, By: tw.by, Inclusion: tw.inclusion}
			}
			b, _ := json.Marshal(ts)
			meta["twins"] = string(b)
		}
		batch = append(batch, oracle.BatchItem{
			Meta: meta,
			Req:  set.request(it.prompt, it.text, schema, opts, it.repeat),
		})
	}
	if len(hits) > 0 {
		if err := w.j.append(hits...); err != nil {
			return sub, err
		}
		if err := w.commit(ctx, hits); err != nil {
			return sub, err
		}
		sub.Cached = int64(len(hits))
	}
	if len(batch) == 0 {
		return sub, nil
	}
	name, err := bo.SubmitBatch(ctx, fmt.Sprintf("distill %s %s", opts.Filter.Name, l.RunID), batch)
	if err != nil {
		return sub, err
	}
	sub.Job, sub.Requests = name, len(batch)
	job := Job{Name: name, Oracle: bo.Kind(), Model: bo.Model(), Requests: len(batch), SubmittedAt: time.Now().UTC(),
		ThinkingBudget: set.thinking.budget, Evidence: set.evidence}
	jobs, err := readJobs(jobsPath(l, opts.Filter.Namespace()))
	if err != nil {
		return sub, err
	}
	return sub, writeJobs(jobsPath(l, opts.Filter.Namespace()), append(jobs, job))
}

// Collect picks up the answers of every finished batch job, journals and
// commits them, and forgets the job. Unfinished jobs are listed with their
// state; collecting again later resumes.
func Collect(ctx context.Context, l *lake.Lake, opts Options) (*Result, []Job, error) {
	opts.defaults()
	res := &Result{Summary: spec.Start(spec.Label, l.RunID), FailedBy: map[string]int64{}}
	res.Mode = "collect"
	res.Table = spec.Labels.For(opts.Filter).String()
	if opts.Oracle != nil {
		res.Oracle, res.Model = opts.Oracle.Kind(), opts.Oracle.Model()
	}
	bo, ok := opts.Oracle.(BatchOracle)
	if !ok {
		return res, nil, ErrNoBatch
	}
	path := jobsPath(l, opts.Filter.Namespace())
	jobs, err := readJobs(path)
	if err != nil || len(jobs) == 0 {
		return res, nil, err
	}
	w, err := openWriter(ctx, l, opts.Filter, settings{}, res, false)
	if err != nil {
		return res, nil, err
	}
	defer w.close()
	labeled, err := labeledKeys(ctx, l, opts)
	if err != nil {
		return res, nil, err
	}
	price, _ := priceOf(opts.Filter, bo.Kind(), bo.Model())
	var keep, report []Job
	for _, job := range jobs {
		state, results, err := bo.BatchState(ctx, job.Name)
		if err != nil {
			return res, report, err
		}
		job.State = state
		report = append(report, job)
		w.set = job.settings()
		switch state {
		case "JOB_STATE_SUCCEEDED":
		case "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED":
			continue // nothing to collect: forget it
		default:
			keep = append(keep, job)
			continue
		}
		var entries []entry
		for _, r := range results {
			key, id := r.Meta["key"], r.Meta["id"]
			if labeled[id+"|"+key] {
				continue // collected before a crash: never labeled twice
			}
			c := call{Key: key, ID: id, Oracle: bo.Kind(), Model: bo.Model(), PromptSHA: r.Meta["prompt_sha256"],
				Response: oracle.Redact(r.Resp.Text), TokensIn: r.Resp.TokensIn, TokensOut: r.Resp.TokensOut,
				Cost: BatchDiscount * cost(price, r.Resp.TokensIn, r.Resp.TokensOut), Attempt: 1,
				Temperature: *opts.Temperature, MaxTokens: opts.MaxTokens, CalledAt: job.SubmittedAt}
			e := entry{}
			if r.Err != nil {
				c.Status, c.Class, c.Error = "failed", string(oracle.ClassOf(r.Err)), oracle.Redact(r.Err.Error())
			} else if s, perr := Parse(w.f, r.Resp.Text); perr != nil {
				c.Status, c.Class, c.Error = "failed", string(oracle.Invalid), perr.Error()
			} else {
				c.Status = "ok"
				it := item{id: id, key: key, promptSHA: r.Meta["prompt_sha256"], inputSHA: r.Meta["input_sha256"], repeat: repeatOf(r.Meta)}
				chosenBy(&it, r.Meta)
				e.Label = w.row(it, s, c, 1, false)
				e.Label.Cost, e.Label.TokensIn, e.Label.TokensOut = c.Cost, c.TokensIn, c.TokensOut
			}
			twins := twinsOf(r.Meta)
			if e.Label != nil {
				e.Shared = w.share(e.Label, twins)
			} else {
				e.twins = len(twins)
			}
			e.Calls = []call{c}
			entries = append(entries, e)
		}
		if len(entries) > 0 {
			// One write and one fsync for the job's answers (they stay on
			// the server until this run forgets the job, at its end).
			if err := w.j.append(entries...); err != nil {
				return res, report, err
			}
			for _, e := range entries {
				w.count(e, opts)
			}
			if err := w.commit(context.WithoutCancel(ctx), entries); err != nil {
				return res, report, err
			}
		}
	}
	return res, report, writeJobs(path, keep)
}

// twin is an article that shares a batch request's prompt, in the request's
// metadata.
type twin struct {
	ID       string `json:"id"`
	InputSHA string `json:"input_sha256"`
	// By and Inclusion are how --select or --sample chose it.
	By        string  `json:"selected_by,omitempty"`
	Inclusion float64 `json:"inclusion,omitempty"`
}

func twinsOf(meta map[string]string) []item {
	var ts []twin
	if json.Unmarshal([]byte(meta["twins"]), &ts) != nil {
		return nil
	}
	out := make([]item, len(ts))
	for i, t := range ts {
		out[i] = item{id: t.ID, key: meta["key"], promptSHA: meta["prompt_sha256"], inputSHA: t.InputSHA, repeat: repeatOf(meta),
			by: t.By, inclusion: t.Inclusion, selection: meta["selection"]}
	}
	return out
}

// chosenBy sets how a batch request's article was chosen, from its
// metadata (nothing for a job submitted without --select or --sample).
func chosenBy(it *item, meta map[string]string) {
	it.by, it.selection = meta["selected_by"], meta["selection"]
	it.inclusion, _ = strconv.ParseFloat(meta["inclusion"], 64)
}

// repeatOf is a batch request's repeat (0 when its metadata has none: the
// first ask, and every job submitted before --repeat).
func repeatOf(meta map[string]string) int {
	r, _ := strconv.Atoi(meta["repeat"])
	return r
}

func labeledKeys(ctx context.Context, l *lake.Lake, opts Options) (map[string]bool, error) {
	sess, err := l.Session(ctx, opts.Filter.Namespace())
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	// Per article and key: articles with the same text share a key.
	return stringSet(ctx, sess, spec.Labels.For(opts.Filter), "SELECT id || '|' || cache_key FROM %s WHERE NOT cached")
}

func readJobs(path string) ([]Job, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var jobs []Job
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var j Job
		if json.Unmarshal(sc.Bytes(), &j) == nil && j.Name != "" {
			jobs = append(jobs, j)
		}
	}
	return jobs, sc.Err()
}

// writeJobs replaces the job list atomically (write, fsync, rename).
func writeJobs(path string, jobs []Job) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		b, _ := json.Marshal(j)
		f.Write(append(b, '\n'))
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	f.Close()
	return os.Rename(tmp, path)
}
