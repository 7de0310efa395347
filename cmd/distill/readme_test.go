package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/distillery/distillery/internal/testutil"
)

// A README transcript is a ```console block: each "$ " line (continued by a
// trailing backslash) is a command, the lines after it up to the next one
// its output. TestREADME_Tour runs every command of every transcript in
// order, as a new user would from a fresh clone, and compares the output a
// transcript shows with what the command prints now.
type transcriptStep struct {
	cmd    string   // the command as bash runs it (continuations joined)
	lines  []string // the command's lines as README shows them
	output []string // the output README shows; none: not shown, not checked
	exit   int      // the exit status a "# exit N" comment promises
}

type transcript struct {
	start, end int // line numbers of the fences in README.md
	steps      []*transcriptStep
}

var exitComment = regexp.MustCompile(`#[^#]*\bexits? (\d+)\s*$`)

// parseTranscripts finds README's ```console blocks.
func parseTranscripts(lines []string) ([]*transcript, error) {
	var out []*transcript
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```console" {
			continue
		}
		tr := &transcript{start: i}
		var step *transcriptStep
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			line := lines[i]
			switch {
			case strings.HasPrefix(line, "$ "):
				step = &transcriptStep{lines: []string{line}}
				cmd := strings.TrimPrefix(line, "$ ")
				for strings.HasSuffix(cmd, "\\") && i+1 < len(lines) {
					i++
					step.lines = append(step.lines, lines[i])
					cmd = strings.TrimSuffix(cmd, "\\") + " " + strings.TrimSpace(lines[i])
				}
				if m := exitComment.FindStringSubmatch(cmd); m != nil {
					fmt.Sscan(m[1], &step.exit)
				}
				step.cmd = cmd
				tr.steps = append(tr.steps, step)
			case step == nil:
				if strings.TrimSpace(line) != "" {
					return nil, fmt.Errorf("README.md:%d: a console block must start with a \"$ \" command", i+1)
				}
			default:
				step.output = append(step.output, line)
			}
		}
		if i == len(lines) {
			return nil, fmt.Errorf("README.md:%d: console block never closed", tr.start+1)
		}
		tr.end = i
		for _, s := range tr.steps {
			for len(s.output) > 0 && strings.TrimSpace(s.output[len(s.output)-1]) == "" {
				s.output = s.output[:len(s.output)-1]
			}
		}
		out = append(out, tr)
	}
	return out, nil
}

// volatile is what changes from run to run and machine to machine: times,
// durations, rates, ids made from the clock, sizes of files holding times.
var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?( ?(Z|UTC|[+-]\d\d(:?\d\d)?))?`), "TIME"},
	// Calendar windows (drift's by-week and by-day) follow the clock too:
	// the tour's articles are all dated by when they were scored.
	{regexp.MustCompile(`\b\d{4}-W\d\d\b`), "WEEK"},
	{regexp.MustCompile(`\b\d{4}-\d\d-\d\d\b`), "DATE"},
	{regexp.MustCompile(`\d{8}T\d{6}Z-[0-9a-f]{6}`), "RUNID"},
	{regexp.MustCompile(`\b(linear|lora)-\d{8}-\d{6}-[0-9a-f]+`), "$1-ID"},
	{regexp.MustCompile(`\b\d{8}-\d{6}\b`), "STAMP"},
	// distill log's RUN column: the random part of a run id, after the stage.
	{regexp.MustCompile(`\b(ingest|prefilter|compress|label|import|split|train|predict|eval|compact)(\s+)[0-9a-f]{6}\b`), "$1${2}RUN"},
	{regexp.MustCompile(`\b\d{15,20}\b`), "SNAPSHOTID"},
	{regexp.MustCompile(`\d+(\.\d+)? ?(s|ms|µs|m)\b`), "N s"},
	{regexp.MustCompile(`[\d.,]+ ([a-z]+)/s\b`), "N $1/s"},
	{regexp.MustCompile(`\b\d[\d,]* bytes\b`), "N bytes"},
	{regexp.MustCompile(`\b\d+(\.\d+)? (KiB|MiB|GiB|KB|MB|GB)\b`), "N $2"},
	{regexp.MustCompile(`\bpid \d+`), "pid N"},
	{regexp.MustCompile(`[ \t]+$`), ""},
	{regexp.MustCompile(`[-─]{3,}`), "---"},
	{regexp.MustCompile(` {2,}`), " "},
}

// normalizeOutput is text with its volatile parts replaced, one line per element.
func normalizeOutput(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		for _, v := range volatile {
			l = v.re.ReplaceAllString(l, v.with)
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// tourDir is a fresh clone's view for the tour: the shipped filters copied
// (the tour edits and makes filters), ../shared beside it, and a distill on
// PATH that is this test binary.
func tourDir(t *testing.T) (work string, env []string) {
	t.Helper()
	root := testutil.RepoRoot(t)
	scratch := t.TempDir()
	work = filepath.Join(scratch, "distillery")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(work, "filters"), os.DirFS(filepath.Join(root, "filters"))); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(testutil.Shared(t, "."), filepath.Join(scratch, "shared")); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(scratch, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("#!/bin/sh\nDISTILL_TEST_MAIN=1 exec %q \"$@\"\n", os.Args[0])
	if err := os.WriteFile(filepath.Join(bin, "distill"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(scratch, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "PATH" || name == "HOME" || name == "TZ" || name == "COLUMNS":
		case strings.HasPrefix(name, "DISTILL_"), strings.HasSuffix(name, "_API_KEY"):
		default:
			env = append(env, kv)
		}
	}
	env = append(env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+home, "TZ=UTC")
	return work, env
}

// TestREADME_Tour walks README.md's tour: every command of every ```console
// block, in order, in a folder laid out like a fresh clone. A command fails
// the test when its exit status is not the one promised (0, or "# exit N"),
// and an output README shows must be what the command prints now, times and
// ids aside. `make readme` (this test with -update) rewrites the outputs.
func TestREADME_Tour(t *testing.T) {
	if testing.Short() {
		t.Skip("the README tour runs every stage on the real corpora")
	}
	path := filepath.Join(testutil.RepoRoot(t), "README.md")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	trs, err := parseTranscripts(lines)
	if err != nil {
		t.Fatal(err)
	}
	if len(trs) < 5 {
		t.Fatalf("README.md has %d console blocks; the tour needs them", len(trs))
	}
	work, env := tourDir(t)
	paths := machinePaths(t, work)
	changed := false
	for _, tr := range trs {
		for _, st := range tr.steps {
			cmd := exec.Command("bash", "-c", st.cmd)
			cmd.Dir, cmd.Env = work, env
			out, err := cmd.CombinedOutput()
			code := cmd.ProcessState.ExitCode()
			if err != nil && code < 0 {
				t.Fatalf("README.md:%d: %s: %v", tr.start+1, st.cmd, err)
			}
			got := strings.Split(strings.TrimRight(paths.Replace(string(out)), "\n"), "\n")
			if code != st.exit {
				t.Errorf("README.md:%d: `%s` exited %d, want %d:\n%s", tr.start+1, st.cmd, code, st.exit, out)
				continue
			}
			if len(st.output) == 0 {
				continue
			}
			if normalizeOutput(got) != normalizeOutput(st.output) {
				if testutil.Updating() {
					st.output, changed = trimRight(got), true
					continue
				}
				t.Errorf("README.md:%d: the output of `%s` changed (make readme rewrites it):\n%s",
					tr.start+1, st.cmd, testutil.LineDiff(normalizeOutput(st.output), normalizeOutput(got)))
			}
		}
	}
	if changed {
		if err := os.WriteFile(path, []byte(rewriteTranscripts(lines, trs)), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("rewrote README.md's transcripts")
	}
}

func trimRight(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimRight(l, " \t")
	}
	return out
}

// rewriteTranscripts is README.md with each console block's outputs
// replaced by the steps' outputs.
func rewriteTranscripts(lines []string, trs []*transcript) string {
	var out []string
	next := 0
	for _, tr := range trs {
		out = append(out, lines[next:tr.start+1]...)
		for i, st := range tr.steps {
			out = append(out, st.lines...)
			out = append(out, st.output...)
			if len(st.output) > 0 && i < len(tr.steps)-1 {
				out = append(out, "")
			}
		}
		next = tr.end
	}
	out = append(out, lines[next:]...)
	return strings.Join(out, "\n")
}

func TestParseTranscripts(t *testing.T) {
	lines := strings.Split("text\n```console\n$ distill a \\\n    --b\nout 1\n\nout 2\n\n$ distill c # exit 1\n```\n", "\n")
	trs, err := parseTranscripts(lines)
	if err != nil {
		t.Fatal(err)
	}
	if len(trs) != 1 || len(trs[0].steps) != 2 {
		t.Fatalf("parsed %+v", trs)
	}
	s := trs[0].steps
	if s[0].cmd != "distill a  --b" || strings.Join(s[0].output, "|") != "out 1||out 2" || s[1].exit != 1 || len(s[1].output) != 0 {
		t.Errorf("steps: %+v %+v", s[0], s[1])
	}
	if got := rewriteTranscripts(lines, trs); got != strings.Join(lines, "\n") {
		t.Errorf("rewrite without changes:\n%s", got)
	}
	if normalizeOutput([]string{"label: 3 in (0.2 s), 3192.6 labels/s, linear-20261205-235835-38ed at 2026-12-05 23:58:35 UTC   "}) !=
		normalizeOutput([]string{"label: 3 in (10.4 s), 12.0 labels/s, linear-20261206-010101-aaaa at 2026-12-06 01:01:01 UTC"}) {
		t.Error("normalize keeps a volatile part")
	}
	// drift's windows are calendar weeks and days of when the tour ran: the
	// README written on a Sunday must still hold on the Monday after.
	if normalizeOutput([]string{"window 2026-W49 against the training labels", "2026-12-06 14856 scored"}) !=
		normalizeOutput([]string{"window 2026-W50 against the training labels", "2026-12-07 14856 scored"}) {
		t.Error("normalize keeps a calendar window")
	}
	if normalizeOutput([]string{"2026-W49 14856 scored, 357 passed"}) == normalizeOutput([]string{"2026-W49 14856 scored, 358 passed"}) {
		t.Error("normalize hides a count")
	}
}

// machinePaths replaces this machine's paths in outputs with the ones a
// reader has: the clone as ~/distillery, the corpora as ~/shared.
func machinePaths(t *testing.T, work string) *strings.Replacer {
	t.Helper()
	var pairs []string
	add := func(p, as string) {
		pairs = append(pairs, p, as)
		if r, err := filepath.EvalSymlinks(p); err == nil && r != p {
			pairs = append(pairs, r, as)
		}
	}
	add(work, "~/distillery")
	add(testutil.Shared(t, "."), "~/shared")
	add(filepath.Dir(work), "~")
	return strings.NewReplacer(pairs...)
}
