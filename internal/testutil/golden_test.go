package testutil

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestGolden_WriteThenCompare(t *testing.T) {
	want := filepath.Join(t.TempDir(), "want")
	got := map[string][]byte{"rows.csv": []byte("id,n\na,1\nb,2\n"), "text/a.txt": []byte("alpha")}
	if problems, err := diffGolden(want, got); err != nil || len(problems) != 1 || !strings.Contains(problems[0], "-update") {
		t.Fatalf("before -update: problems = %q, err = %v; want one that says to run -update", problems, err)
	}
	if err := writeGolden(want, got); err != nil {
		t.Fatal(err)
	}
	if problems, err := diffGolden(want, got); err != nil || len(problems) != 0 {
		t.Fatalf("after -update: problems = %q, err = %v; want none", problems, err)
	}

	changed := map[string][]byte{"rows.csv": []byte("id,n\na,1\nb,3\n"), "new.csv": []byte("x")}
	problems, err := diffGolden(want, changed)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(problems, "\n")
	for _, s := range []string{"want/rows.csv differs", "line 3", "- want: b,2", "+  got: b,3", "want/text/a.txt: the test no longer produces", "want/new.csv is missing"} {
		if !strings.Contains(joined, s) {
			t.Errorf("problems do not mention %q:\n%s", s, joined)
		}
	}

	// -update replaces the folder: the file no longer produced goes.
	if err := writeGolden(want, changed); err != nil {
		t.Fatal(err)
	}
	if problems, err := diffGolden(want, changed); err != nil || len(problems) != 0 {
		t.Errorf("after the second -update: problems = %q, err = %v; want none", problems, err)
	}
}

func TestQueryCSV(t *testing.T) {
	l := NewLake(t)
	got := string(QueryCSV(t, l, `SELECT * FROM (VALUES ('b', 2.5, NULL, true), ('a, "q"', 1.0, 'x', false)) v(id, score, note, ok) ORDER BY id`))
	want := "id,score,note,ok\n\"a, \"\"q\"\"\",1,x,false\nb,2.5,<NULL>,true\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
