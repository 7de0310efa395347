package stagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/spec"
)

// The suite runs a stage in another process by running the test binary
// again, limited to the test that called Run, with these set: Run then
// runs the stage once over the lake and article file named.
const (
	childEnv    = "DISTILL_STAGETEST_STAGE"
	lakeEnv     = "DISTILL_STAGETEST_LAKE"
	articlesEnv = "DISTILL_STAGETEST_ARTICLES"
)

// runChild is Run in a process the suite started.
func runChild(t *testing.T, s *spec.Spec) {
	if name := os.Getenv(childEnv); name != s.Name {
		t.Fatalf("started to run %s, but this test runs %s", name, s.Name)
	}
	ctx := context.Background()
	l, err := lake.Open(ctx, os.Getenv(lakeEnv))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r := runnerOf(t, s)
	e := &Env{Lake: l, Filter: loadFilter(t), Articles: os.Getenv(articlesEnv)}
	rows, err := r.Run(ctx, e, func(msg string) { fmt.Println(msg) })
	if r.Refuses != nil && errors.Is(err, r.Refuses) {
		fmt.Printf("%s refused: %v\n", s.Name, err)
		return
	}
	if err != nil {
		t.Fatalf("%s: %v", s.Name, err)
	}
	fmt.Printf("%s: %d rows\n", s.Name, rows)
}

// child is the command that runs s over e in another process; crashAt,
// when set, is its lake.CrashEnv.
func child(t testing.TB, s *spec.Spec, e *Env, crashAt string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	root, _, _ := strings.Cut(t.Name(), "/")
	cmd := exec.Command(os.Args[0], "-test.run=^"+regexp.QuoteMeta(root)+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+s.Name, lakeEnv+"="+e.Lake.Root, articlesEnv+"="+e.Articles, lake.CrashEnv+"="+crashAt)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd, &out
}

// testTwoProcesses runs s in two processes at once over the same lake,
// both with new work beside what an earlier run did: after them, one row
// per key, and a rerun finds nothing left.
func testTwoProcesses(t *testing.T, fx *fixture) {
	ctx := context.Background()
	s, r := fx.s, fx.r
	e := fx.env(t)
	if _, err := r.Run(ctx, e, nil); err != nil {
		t.Fatalf("%s before: %v", s.Name, err)
	}
	e.SetArticles(t, "b1", "b2", "b3")
	runBefore(t, e, s)
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for range 2 {
		cmd, out := child(t, s, e, "")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("%s process %d: %v\n%s", s.Name, i, err, outs[i])
		}
	}
	checkKeys(t, e, s, "after two processes at once")
	rows, err := r.Run(ctx, e, nil)
	if err != nil || !s.EveryRun && rows != 0 {
		t.Errorf("rerun after two processes at once: %d rows, %v; want 0", rows, err)
	}
}
