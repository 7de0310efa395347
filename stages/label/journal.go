package label

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// call is one request to the oracle and what came back.
type call struct {
	Key         string    `json:"key"`
	ID          string    `json:"id"`
	Oracle      string    `json:"oracle"`
	Model       string    `json:"model"`
	PromptSHA   string    `json:"prompt_sha256"`
	Status      string    `json:"status"` // ok, failed
	Class       string    `json:"error_class,omitempty"`
	HTTP        int       `json:"http_status,omitempty"`
	Error       string    `json:"error,omitempty"`
	Response    string    `json:"response,omitempty"`
	TokensIn    int       `json:"tokens_in"`
	TokensOut   int       `json:"tokens_out"`
	Cost        float64   `json:"cost_usd"`
	LatencyMS   int64     `json:"latency_ms"`
	Attempt     int       `json:"attempt"`
	Temperature float64   `json:"temperature"`
	MaxTokens   int       `json:"max_tokens"`
	CalledAt    time.Time `json:"called_at"`
}

// labelRow is one row of <filter>.labels.
type labelRow struct {
	ID          string             `json:"id"`
	Scores      map[string]float64 `json:"scores"`
	Evidence    map[string]string  `json:"evidence"`
	ContentType string             `json:"content_type,omitempty"`
	Overall     float64            `json:"overall"`
	Gated       bool               `json:"gated"`
	Tier        string             `json:"tier"`
	Oracle      string             `json:"oracle"`
	Model       string             `json:"model"`
	PromptSHA   string             `json:"prompt_sha256"`
	InputSHA    string             `json:"input_sha256"`
	CacheKey    string             `json:"cache_key"`
	TokensIn    int                `json:"tokens_in"`
	TokensOut   int                `json:"tokens_out"`
	Cost        float64            `json:"cost_usd"`
	LatencyMS   int64              `json:"latency_ms"`
	Attempts    int                `json:"attempts"`
	Cached      bool               `json:"cached"`
	Imported    bool               `json:"imported"`
	Repaired    string             `json:"repaired,omitempty"`
	LabeledAt   time.Time          `json:"labeled_at"`
	// Repeat is the ask's index under --repeat (0: the first).
	Repeat int `json:"repeat,omitempty"`
	// Extra is an imported label's unmapped analysis fields (a JSON object).
	Extra string `json:"extra,omitempty"`
	// ThinkingBudget is the thinking budget the request set (nil: none
	// was sent); EvidenceMode the evidence mode asked for ("" in a label
	// journaled before there were modes, or imported: full or unknown).
	ThinkingBudget *int   `json:"thinking_budget,omitempty"`
	EvidenceMode   string `json:"evidence_mode,omitempty"`
	// Settings names the settings beyond the defaults ("": the defaults).
	Settings string `json:"settings,omitempty"`
	// SelectedBy is the strategy that chose the article (label --select;
	// "sample" for --sample; "": neither), Inclusion its inclusion
	// probability and Selection the run's plan.
	SelectedBy string  `json:"selected_by,omitempty"`
	Inclusion  float64 `json:"inclusion,omitempty"`
	Selection  string  `json:"selection,omitempty"`
}

// entry is one article's outcome: the calls made (none for a cache hit) and
// its label (none when every call failed).
type entry struct {
	Calls []call    `json:"calls,omitempty"`
	Label *labelRow `json:"label,omitempty"`
	// Shared are the labels, made from Label's answer with no call, of the
	// articles whose prompt is Label's: journaled in the same line, so a
	// recovered answer labels every article it belongs to.
	Shared []*labelRow `json:"shared,omitempty"`
	// twins is how many articles share a failed call's outcome (counted as
	// failed with it; not journaled: there is nothing to recover).
	twins int
	// takenOver marks an answer a dead worker paid for (workers.go):
	// counted as recovered, its calls not as this run's.
	takenOver bool
}

// journal is an append-only file of entries, fsync'd before an entry counts
// as done: after kill -9 the next run commits what it holds, so no paid
// response is lost or asked for again. When a batch is handed to a commit,
// the file is sealed (renamed) and a new one started, so the commit can run
// while answers keep arriving; a sealed file is removed once its batch is
// in the lake.
type journal struct {
	mu     sync.Mutex
	dir    string
	name   string
	path   string // the file being written
	f      *os.File
	buf    bytes.Buffer
	sealed int
	lock   lake.Unlocker // held while the journal is open
}

func openJournal(l *lake.Lake, dir, name string, labels lake.TableName, workers bool) (*journal, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// One labeling run per filter at a time: a second would ask for the
	// same articles (paying twice) and share these files. It is refused
	// rather than made to wait: a labeling run can last hours. The lock is
	// the labels table's writer lock, the one `label import` waits for.
	lock, err := journalLock(l, labels, workers)
	if errors.Is(err, lake.ErrLocked) {
		return nil, fmt.Errorf("%w (%v)", ErrBusy, err)
	}
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", name, err)
	}
	p := filepath.Join(dir, name+".jsonl")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_RDWR, 0o600)
	if err != nil {
		lock.Unlock()
		return nil, fmt.Errorf("journal %s: %w", p, err)
	}
	return &journal{dir: dir, name: name, path: p, f: f, lock: lock}, nil
}

// journalLock is the lock a run holds while its journal is open: the
// labels table's writer lock, or for label workers on a shared (PostgreSQL)
// catalog a lock of this lake folder only. There runs on other machines (workers) label the
// same filter at once: they split the articles through claims in the
// catalog (lake.Claims) and take the table's lock only to commit; the
// journal is this folder's, so two runs in one folder still exclude each
// other.
func journalLock(l *lake.Lake, labels lake.TableName, workers bool) (lake.Unlocker, error) {
	if !workers {
		return l.TryLockTable(labels, spec.Label.Name)
	}
	k := lake.FileLocker{Dir: filepath.Join(l.Root, "locks")}
	u, err := k.TryLock("journal."+labels.Namespace+"."+labels.Table, spec.Label.Name)
	if err != nil {
		return nil, fmt.Errorf("lock the journal of %s in %s: %w", labels, l.Root, err)
	}
	return u, nil
}

// files lists the sealed files, oldest first, then the file being written.
func (j *journal) files() ([]string, error) {
	des, err := os.ReadDir(j.dir)
	if err != nil {
		return nil, err
	}
	var sealed []string
	for _, de := range des {
		if n := de.Name(); strings.HasPrefix(n, j.name+".sealed-") && strings.HasSuffix(n, ".jsonl") {
			sealed = append(sealed, filepath.Join(j.dir, n))
		}
	}
	slices.Sort(sealed) // the names carry a zero-padded time
	return append(sealed, j.path), nil
}

// syncDir makes the journal folder's entries (a new, renamed or removed
// file) survive a power cut.
func (j *journal) syncDir() error {
	d, err := os.Open(j.dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// seal renames the file being written (everything in it is synced) and
// starts a new one; it returns the sealed file's path.
func (j *journal) seal() (string, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.sealed++
	p := filepath.Join(j.dir, fmt.Sprintf("%s.sealed-%020d-%06d.jsonl", j.name, time.Now().UnixNano(), j.sealed))
	if err := os.Rename(j.path, p); err != nil {
		return "", fmt.Errorf("journal %s: %w", j.path, err)
	}
	j.f.Close()
	f, err := os.OpenFile(j.path, os.O_CREATE|os.O_APPEND|os.O_RDWR, 0o600)
	if err != nil {
		return "", fmt.Errorf("journal %s: %w", j.path, err)
	}
	j.f = f
	if err := j.syncDir(); err != nil {
		return "", fmt.Errorf("journal %s: %w", j.dir, err)
	}
	return p, nil
}

// remove deletes a sealed file whose entries are in the lake.
func (j *journal) remove(sealed string) error {
	return os.Remove(sealed)
}

// append writes the entries and syncs them to disk.
func (j *journal) append(es ...entry) error {
	if err := j.write(es...); err != nil {
		return err
	}
	return j.sync()
}

// write appends the entries in one write, without a sync: once written they
// survive the process being killed (they are in the kernel's page cache),
// and sync makes them survive the machine going down too.
func (j *journal) write(es ...entry) error {
	if err := fault("journal write"); err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.buf.Reset()
	enc := json.NewEncoder(&j.buf) // one line an entry
	enc.SetEscapeHTML(false)
	for _, e := range es {
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	if _, err := j.f.Write(j.buf.Bytes()); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	return nil
}

// sync flushes what was written to disk.
func (j *journal) sync() error {
	if err := fault("journal sync"); err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	return nil
}

// read returns every complete entry of every file; a torn last line (a
// crash mid-write) is skipped.
func (j *journal) read() ([]entry, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	paths, err := j.files()
	if err != nil {
		return nil, err
	}
	var out []entry
	for _, p := range paths {
		f, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			var e entry
			if json.Unmarshal(sc.Bytes(), &e) == nil {
				out = append(out, e)
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("journal %s: %w", p, err)
		}
	}
	return out, nil
}

// reset empties the journal once all its entries are committed to the lake.
func (j *journal) reset() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	paths, err := j.files()
	if err != nil {
		return err
	}
	for _, p := range paths[:len(paths)-1] {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := j.f.Truncate(0); err != nil {
		return err
	}
	_, err = j.f.Seek(0, 0)
	return err
}

func (j *journal) close() error {
	err := j.f.Close()
	j.lock.Unlock()
	return err
}

// faults, set only by tests, fails the named operation when it returns an error.
var faults func(op string) error

func fault(op string) error {
	if faults == nil {
		return nil
	}
	return faults(op)
}
