package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/distillery/distillery/lake"
)

// plainLines feeds the shell lines from a reader, as a terminal would.
type plainLines struct {
	r       *bufio.Reader
	prompts []string
	history []string
}

func (p *plainLines) Readline() (string, error) {
	line, err := p.r.ReadString('\n')
	if err != nil && line == "" {
		return "", io.EOF
	}
	return strings.TrimSuffix(line, "\n"), nil
}

func (p *plainLines) SetPrompt(s string) { p.prompts = append(p.prompts, s) }

func (p *plainLines) SaveHistory(s string) error {
	p.history = append(p.history, s)
	return nil
}

// shellRun drives the shell over lk with input and returns what it wrote.
func shellRun(t *testing.T, lk, ns, input string) (out, errOut string, in *plainLines) {
	t.Helper()
	ctx := context.Background()
	l, err := lake.Open(ctx, lk)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	sess, err := l.Session(ctx, ns)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	q := &sqlRunner{l: l, sess: sess, ns: ns, format: "table", maxWidth: 60}
	in = &plainLines{r: bufio.NewReader(strings.NewReader(input))}
	var o, e bytes.Buffer
	if err := q.loop(ctx, in, &o, &e); err != nil {
		t.Fatalf("shell: %v", err)
	}
	return o.String(), e.String(), in
}

// TestSQLShell: statements end at ;, span lines, keep running after an
// error, dot commands list tables and help, .quit leaves, and each
// statement is saved to history whole, on one line.
func TestSQLShell(t *testing.T) {
	lk, _ := sqlLake(t)
	input := strings.Join([]string{
		".tables",
		"SELECT count(*)",
		"  AS n_articles FROM corpus.raw;",
		"select * from corpus.rawx;",
		"",
		"-- a comment alone runs nothing",
		"SELECT 'a;b' AS s; -- the ; in quotes does not end it",
		".tabels",
		".help",
		".quit",
		"SELECT 'after quit' AS never;",
	}, "\n") + "\n"
	out, errOut, in := shellRun(t, lk, "", input)
	for _, w := range []string{"| raw ", "n_articles", "\n3 ", "a;b", "(1 row)", ".tables   the lake's tables"} {
		if !strings.Contains(out, w) {
			t.Errorf("shell output lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "after quit") {
		t.Errorf("a statement after .quit ran:\n%s", out)
	}
	for _, w := range []string{"no table corpus.rawx in the lake (did you mean corpus.raw?)", "unknown command .tabels (did you mean .tables?)"} {
		if !strings.Contains(errOut, w) {
			t.Errorf("shell errors lack %q:\n%s", w, errOut)
		}
	}
	want := []string{"SELECT count(*) AS n_articles FROM corpus.raw;", "select * from corpus.rawx;",
		"SELECT 'a;b' AS s; -- the ; in quotes does not end it"}
	if strings.Join(in.history, "|") != strings.Join(want, "|") {
		t.Errorf("history %q, want %q", in.history, want)
	}
	if !strings.Contains(strings.Join(in.prompts, ""), shellMore) {
		t.Errorf("prompts %q: no continuation prompt for a statement of two lines", in.prompts)
	}

	out, errOut, _ = shellRun(t, lk, "", "SELECT 1 AS one\n")
	if strings.Contains(out, "one") || !strings.Contains(errOut, "not run") {
		t.Errorf("an unfinished statement at the end of input: out %q, errors %q", out, errOut)
	}
}

func TestStatementEnds(t *testing.T) {
	for _, c := range []struct {
		s           string
		ends, blank bool
	}{
		{"select 1;", true, false},
		{"select 1", false, false},
		{"select ';'", false, false},
		{"select 'a\n", false, false},
		{"select 1; -- done\n", true, false},
		{"select 1 /* ; */", false, false},
		{"select 1 /* x */;\n", true, false},
		{"-- only a comment\n", false, true},
		{"  \n", false, true},
		{`select "a;b";`, true, false},
	} {
		if ends, blank := statementEnds(c.s); ends != c.ends || blank != c.blank {
			t.Errorf("statementEnds(%q) = %v, %v; want %v, %v", c.s, ends, blank, c.ends, c.blank)
		}
	}
}
