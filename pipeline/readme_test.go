package pipeline

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/distillery/distillery/internal/testutil"
)

// readmeBlocks is the YAML examples of README's section on `distill run`.
func readmeBlocks(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "### One command: the demo and `distill run`")
	if !ok {
		t.Fatal("README has no section on `distill run`")
	}
	sec, _, _ = strings.Cut(sec, "\n### ")
	var blocks []string
	for {
		_, rest, ok := strings.Cut(sec, "```yaml\n")
		if !ok {
			return blocks
		}
		block, after, _ := strings.Cut(rest, "```")
		blocks, sec = append(blocks, block), after
	}
}

// README's pipeline files load and pass every stage's Validate, and one of
// them shows every key the file has.
func TestREADME_PipelineExamples(t *testing.T) {
	blocks := readmeBlocks(t)
	if len(blocks) < 2 {
		t.Fatalf("%d YAML examples in README's section on `distill run`, want the team's file and the one with every key", len(blocks))
	}
	f := loadFilter(t)
	everyKey := false
	for _, b := range blocks {
		c, err := parse("pipeline.yaml", []byte(b))
		if err != nil {
			t.Errorf("README example:\n%s\n%v", b, err)
			continue
		}
		if err := c.Check(f); err != nil {
			t.Errorf("README example:\n%s\n%v", b, err)
		}
		if !strings.HasPrefix(b, "# pipeline.yaml: every key") {
			continue
		}
		everyKey = true
		want := map[string]bool{}
		keyPaths(reflect.TypeOf(Config{}), "", want)
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(b), &n); err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		nodePaths(n.Content[0], "", want, got)
		for k := range want {
			if !got[k] {
				t.Errorf("README's every-key example lacks %s", k)
			}
		}
	}
	if !everyKey {
		t.Error(`README has no example starting "# pipeline.yaml: every key"`)
	}
}

// keyPaths is every key a pipeline.yaml can hold, e.g. split.ratios,
// sources[].path, student.linear.bits.
func keyPaths(t reflect.Type, prefix string, out map[string]bool) {
	for i := range t.NumField() {
		sf := t.Field(i)
		name, opts, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if name == "-" || !sf.IsExported() {
			continue
		}
		if opts == "inline" {
			keyPaths(sf.Type, prefix, out)
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name)
		}
		switch ft := sf.Type; {
		case ft.Kind() == reflect.Struct:
			keyPaths(ft, prefix+name+".", out)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			keyPaths(ft.Elem(), prefix+name+"[].", out)
		default:
			out[prefix+name] = true
		}
	}
}

func nodePaths(n *yaml.Node, prefix string, leaves, out map[string]bool) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := prefix + n.Content[i].Value
			if leaves[key] {
				out[key] = true
				continue
			}
			nodePaths(n.Content[i+1], key+".", leaves, out)
		}
	case yaml.SequenceNode:
		for _, e := range n.Content {
			nodePaths(e, strings.TrimSuffix(prefix, ".")+"[].", leaves, out)
		}
	}
}
