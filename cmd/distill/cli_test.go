package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/distillery/distillery/internal/testutil"
)

// everyCommand is each command of the CLI with its path, subcommands included.
func everyCommand() map[string]*cli.Command {
	out := map[string]*cli.Command{}
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			p := strings.TrimSpace(prefix + " " + c.Name)
			out[p] = c
			walk(p, c.Subcommands)
		}
	}
	walk("", newApp(&env{}).Commands)
	return out
}

func TestCLI_UnknownFlag(t *testing.T) {
	for _, args := range [][]string{
		{"ingest", "--sorce", "x", "FILE"},
		{"ingest", "FILE", "--sorce", "x"}, // after a positional argument too
		{"ingest", "--sorce=x", "FILE"},
	} {
		out, stderr := distill(t, 1, args...)
		want := "distill ingest: unknown flag --sorce (did you mean --source?)\nsee distill ingest --help\n"
		if stderr != want || out != "" {
			t.Errorf("distill %s:\nstderr %q\nwant   %q\nstdout %q", strings.Join(args, " "), stderr, want, out)
		}
	}
	_, stderr := distill(t, 1, "--lkae", "x", "tables")
	if want := "distill: unknown flag --lkae (did you mean --lake?)\nsee distill --help\n"; stderr != want {
		t.Errorf("global flag typo: %q, want %q", stderr, want)
	}
	// Every command answers an unknown flag the same way, before it runs.
	for path := range everyCommand() {
		args := append(strings.Fields(path), "--no-such-flag")
		out, stderr := distill(t, 1, args...)
		want := fmt.Sprintf("distill %s: unknown flag --no-such-flag", path)
		if !strings.HasPrefix(stderr, want) || !strings.Contains(stderr, "see distill "+path+" --help") || out != "" {
			t.Errorf("distill %s --no-such-flag:\nstderr %q\nstdout %q", path, stderr, out)
		}
	}
	// Other usage errors are as short.
	out, stderr := distill(t, 1, "ingest", "--max-record-bytes", "lots", "FILE")
	if out != "" || !strings.Contains(stderr, "--max-record-bytes") || strings.Contains(stderr, "OPTIONS") {
		t.Errorf("bad flag value: stdout %q stderr %q", out, stderr)
	}
	out, stderr = distill(t, 1, "prefilter")
	if out != "" || !strings.Contains(stderr, "distill prefilter: missing --filter") {
		t.Errorf("missing required flag: stdout %q stderr %q", out, stderr)
	}
	// Help and files named like flags after "--" still work.
	if out, _ := distill(t, 0, "ingest", "--help"); !strings.Contains(out, "--source") {
		t.Errorf("ingest --help: %q", out)
	}
	if out, _ := distill(t, 0, "prefilter", "--help"); !strings.Contains(out, "--filter") {
		t.Errorf("prefilter --help: %q", out)
	}
}

func TestCLI_UnknownCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"ingets"}, "distill: unknown command \"ingets\" (did you mean ingest?)\nsee distill --help\n"},
		{[]string{"help", "ingets"}, "distill: unknown command \"ingets\" (did you mean ingest?)\nsee distill --help\n"},
		{[]string{"--lake", "x", "ingets", "FILE"}, "distill: unknown command \"ingets\" (did you mean ingest?)\nsee distill --help\n"},
		{[]string{"filter", "valdate"}, "distill filter: unknown command \"valdate\" (did you mean validate?)\nsee distill filter --help\n"},
		{[]string{"zzzzzz"}, "distill: unknown command \"zzzzzz\"\nsee distill --help\n"},
	} {
		out, stderr := distill(t, 1, tc.args...)
		if stderr != tc.want || out != "" {
			t.Errorf("distill %s:\nstderr %q\nwant   %q\nstdout %q", strings.Join(tc.args, " "), stderr, tc.want, out)
		}
	}
	if out, _ := distill(t, 0, "help", "ingest"); !strings.Contains(out, "--source") {
		t.Errorf("help ingest: %q", out)
	}
	if out, _ := distill(t, 0); !strings.Contains(out, "COMMANDS") {
		t.Errorf("distill with no arguments shows no help: %q", out)
	}
}

func TestCLI_Version(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		out, _ := distill(t, 0, args...)
		if !strings.HasPrefix(out, "distill ") || !strings.Contains(out, "go1.") || !strings.Contains(out, "duckdb_arrow") {
			t.Errorf("distill %s = %q", args[0], out)
		}
	}
}

func TestVersionText(t *testing.T) {
	settings := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		want []string
	}{
		{"release", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"},
			Settings: settings("-tags", "duckdb_arrow", "vcs.revision", "0123456789abcdef0123", "vcs.time", "2026-01-02T03:04:05Z")},
			[]string{"distill v1.2.3 (0123456789ab, 2026-01-02T03:04:05Z)", "go1.26.8", "duckdb_arrow: yes"}},
		{"devel", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
			Settings: settings("-tags", "foo,duckdb_arrow", "vcs.revision", "0123456789abcdef0123", "vcs.time", "2026-01-02T03:04:05Z", "vcs.modified", "true")},
			[]string{"distill devel 0123456789ab (2026-01-02T03:04:05Z, modified)", "duckdb_arrow: yes"}},
		{"no tag, no vcs", &debug.BuildInfo{GoVersion: "go1.26.8"},
			[]string{"distill devel (no revision)", "duckdb_arrow: no"}},
	} {
		got := versionText(tc.bi)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: versionText = %q, lacks %q", tc.name, got, w)
			}
		}
	}
}

// TestCLI_OneDefaultPerFlag renders every flag's help line: a Usage that
// names its default must not be followed by the Value's "(default: 0)".
func TestCLI_OneDefaultPerFlag(t *testing.T) {
	app := newApp(&env{})
	all := map[string][]cli.Flag{"distill": app.Flags}
	for path, c := range everyCommand() {
		all["distill "+path] = c.Flags
	}
	lines := 0
	for path, flags := range all {
		for _, f := range flags {
			line := f.String()
			lines++
			if strings.Count(line, "(default") > 1 {
				t.Errorf("%s: %q shows two defaults", path, line)
			}
		}
	}
	if lines < 100 {
		t.Errorf("walked only %d flags", lines)
	}
}

func TestCLI_Completion(t *testing.T) {
	complete := func(words ...string) []string {
		out, _ := distill(t, 0, append(words, completeFlag)...)
		return strings.Fields(out)
	}
	has := func(got []string, want ...string) bool {
		for _, w := range want {
			found := false
			for _, g := range got {
				found = found || g == w
			}
			if !found {
				return false
			}
		}
		return true
	}
	if got := complete("in"); !has(got, "ingest", "init") || has(got, "sql") {
		t.Errorf("completions of `distill in` = %q", got)
	}
	if got := complete("ingest", "--s"); !has(got, "--source", "--strict") || has(got, "--json") {
		t.Errorf("completions of `distill ingest --s` = %q", got)
	}
	if got := complete("filter", ""); !has(got, "validate") || has(got, "ingest") {
		t.Errorf("completions of `distill filter ` = %q", got)
	}
	if got := complete("--lake", "x", "s"); !has(got, "sql", "split", "snapshots") {
		t.Errorf("completions after a global flag = %q", got)
	}
	if got := complete("ingest", "--source", ""); len(got) != 0 {
		t.Errorf("a flag's value completes as %q, want nothing (the shell's files)", got)
	}
	for _, sh := range []string{"bash", "zsh", "fish"} {
		out, _ := distill(t, 0, "completion", sh)
		if !strings.Contains(out, completeFlag) || !strings.Contains(out, "distill") {
			t.Errorf("completion %s = %q", sh, out)
		}
	}
	if _, stderr := distill(t, 1, "completion", "tcsh"); !strings.Contains(stderr, "bash, zsh or fish") {
		t.Errorf("completion tcsh: %q", stderr)
	}
}

// The bash script, sourced in a real bash, completes through the binary.
func TestCLI_CompletionBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash:", err)
	}
	dir := t.TempDir()
	self, _ := os.Executable()
	wrapper := fmt.Sprintf("#!/bin/sh\nDISTILL_TEST_MAIN=1 exec %q \"$@\"\n", self)
	if err := os.WriteFile(filepath.Join(dir, "distill"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	script := `source <(distill completion bash)
COMP_WORDS=(distill ingest --s); COMP_CWORD=2; _distill; echo "${COMPREPLY[@]}"
COMP_WORDS=(distill in); COMP_CWORD=1; _distill; echo "${COMPREPLY[@]}"`
	cmd := exec.Command(bash, "-c", script)
	cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	if want := "--source --strict\ninit ingest\n"; string(out) != want {
		t.Errorf("bash completions = %q, want %q", out, want)
	}
}

// noLakeEnv runs the test with neither --lake nor DISTILL_LAKE, in dir.
func noLakeEnv(t *testing.T, dir string) {
	t.Helper()
	t.Setenv("DISTILL_LAKE", "")
	os.Unsetenv("DISTILL_LAKE")
	t.Chdir(dir)
}

func TestCLI_LakeFromParentFolders(t *testing.T) {
	root := t.TempDir()
	distill(t, 0, "init", "--lake", filepath.Join(root, "lake"))
	deep := filepath.Join(root, "notes", "deeper")
	os.MkdirAll(deep, 0o755)

	for _, dir := range []string{root, deep, filepath.Join(root, "lake"), filepath.Join(root, "lake", "warehouse")} {
		noLakeEnv(t, dir)
		out, stderr := distill(t, 0, "tables")
		if !strings.Contains(out, "corpus.raw") {
			t.Errorf("tables from %s: %q %q", dir, out, stderr)
		}
	}
	// init never walks up: it makes ./lake where it stands.
	noLakeEnv(t, deep)
	distill(t, 0, "init")
	if _, err := os.Stat(filepath.Join(deep, "lake", "catalog.db")); err != nil {
		t.Errorf("init in a subfolder made no ./lake there: %v", err)
	}
	// ./lake wins over a parent's.
	var res bytes.Buffer
	run(context.Background(), []string{"distill", "ingest", "--source", "here", writeJSONL(t)}, &res, &res)
	out, _ := distill(t, 0, "sql", "--format", "csv", "SELECT count(*) FROM corpus.raw")
	if out != "count_star()\n1\n" {
		t.Errorf("from a folder with its own lake: %q (%s)", out, res.String())
	}
	noLakeEnv(t, root)
	if out, _ := distill(t, 0, "sql", "--format", "csv", "SELECT count(*) FROM corpus.raw"); out != "count_star()\n0\n" {
		t.Errorf("the parent's lake: %q", out)
	}
}

func writeJSONL(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "one.jsonl")
	os.WriteFile(p, []byte(`{"id":"a1","title":"t","content":"c"}`+"\n"), 0o644)
	return p
}

func TestCLI_NoLakeHintsTheDemo(t *testing.T) {
	dir := t.TempDir()
	noLakeEnv(t, dir)
	_, stderr := distill(t, 1, "tables")
	if !strings.Contains(stderr, "no lake at ./lake") || !strings.Contains(stderr, "distill init") || strings.Contains(stderr, "demo") {
		t.Errorf("no lake: %q", stderr)
	}
	distill(t, 0, "init", "--lake", filepath.Join(dir, "demo", "lake"))
	_, stderr = distill(t, 1, "tables")
	if !strings.Contains(stderr, "hint: the demo's lake is demo/lake: add --lake demo/lake") {
		t.Errorf("no lake beside a demo: %q", stderr)
	}
}

// A --filter typo in any command (not only sql) names the package meant.
func TestCLI_FilterTypoEveryCommand(t *testing.T) {
	lk := filepath.Join(t.TempDir(), "lake")
	distill(t, 0, "init", "--lake", lk)
	root := testutil.RepoRoot(t)
	typo := filepath.Join(root, "filters/sustainability_tech_deploymnt/v1")
	for _, cmd := range [][]string{{"prefilter"}, {"stats"}, {"split"}, {"train"}, {"label", "--oracle", "keywords"}, {"describe", "labels"}} {
		args := append([]string{"--lake", lk}, cmd...)
		args = append(args, "--filter", typo)
		_, errOut := distill(t, 1, args...)
		if !strings.Contains(errOut, "did you mean") || !strings.Contains(errOut, "sustainability_tech_deployment/v1") {
			t.Errorf("distill %s with a typo in --filter: %s", cmd[0], errOut)
		}
	}
}
