package distillery

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The layout's rules, checked over every non-test Go file of the module, so
// that the shape written down in spec/ and DESIGN.md stays the code's shape.

const module = "github.com/distillery/distillery/"

// goFiles parses every non-test .go file below the module root.
func goFiles(t *testing.T) (map[string]*ast.File, *token.FileSet) {
	t.Helper()
	fset := token.NewFileSet()
	files := map[string]*ast.File{}
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(p)] = f
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, fset
}

// No function is longer than 150 lines: a reader holds one at a time.
func TestLayout_FunctionLength(t *testing.T) {
	const limit = 150
	files, fset := goFiles(t)
	for p, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			var body *ast.BlockStmt
			name := ""
			switch fn := n.(type) {
			case *ast.FuncDecl:
				body, name = fn.Body, fn.Name.Name
			case *ast.FuncLit:
				body, name = fn.Body, "func literal"
			}
			if body == nil {
				return true
			}
			lines := fset.Position(body.Rbrace).Line - fset.Position(body.Lbrace).Line + 1
			if lines > limit {
				t.Errorf("%s:%d: %s is %d lines (at most %d): split it into steps", p, fset.Position(body.Lbrace).Line, name, lines, limit)
			}
			return true
		})
	}
}

// Packages under stages/ import each other only by exception: what they
// share lives below them (spec, curate, students, lake). A package's own
// subpackages (stages/label/oracle) do not count, nor do the test suites
// (stages/stagetest, evaltest), which exist to drive every stage.
// The six allowed: cv's three (a fold is trained, predicted and scored by
// train's, predict's and eval's own code, so that cv measures the recipe
// those commands run) and score's three (a new article is prefiltered,
// compressed and predicted by those stages' own code, so that production
// scores are what the pipeline would have computed: TestRun_MatchesThePipeline
// checks they are, article by article).
func TestLayout_SiblingStageImports(t *testing.T) {
	const limit = 6
	files, _ := goFiles(t)
	seen := map[string]bool{}
	for p, f := range files {
		from := stagePackage(filepath.Dir(p))
		if from == "" || strings.HasSuffix(filepath.Dir(p), "test") {
			continue
		}
		for _, im := range f.Imports {
			path, _ := strconv.Unquote(im.Path.Value)
			to := stagePackage(strings.TrimPrefix(path, module))
			if !strings.HasPrefix(path, module) || to == "" || to == from {
				continue
			}
			seen[from+" → "+to] = true
		}
	}
	var pairs []string
	for k := range seen {
		pairs = append(pairs, k)
	}
	slices.Sort(pairs)
	if len(pairs) > limit {
		t.Errorf("%d imports between sibling packages under stages/ (at most %d): %s", len(pairs), limit, strings.Join(pairs, ", "))
	}
}

// stagePackage is the stage a folder belongs to ("stages/label" for
// stages/label/oracle), or "" outside stages/.
func stagePackage(dir string) string {
	parts := strings.Split(filepath.ToSlash(dir), "/")
	if len(parts) < 2 || parts[0] != "stages" {
		return ""
	}
	return parts[0] + "/" + parts[1]
}

// Table names are written once, in spec/: anywhere else a literal naming a
// table is a copy that can drift. Caught: Table:/Namespace: fields given a
// literal, literals starting with the corpus namespace, a table's name
// compared with a .Table field, and lists or maps keyed by table names
// (every string of the literal a table name; outside cmd/, whose flags are
// named after the tables they pin; JSON keys mixed with others are not
// table names).
func TestLayout_TableNamesOnlyInSpec(t *testing.T) {
	literal := regexp.MustCompile("^[\"`]corpus(\\.[a-z_]|[\"`])")
	names := tableNames(t)
	isName := func(e ast.Expr) bool {
		if kv, ok := e.(*ast.KeyValueExpr); ok {
			e = kv.Key
		}
		v, ok := e.(*ast.BasicLit)
		if !ok || v.Kind != token.STRING {
			return false
		}
		s, _ := strconv.Unquote(v.Value)
		return names[s]
	}
	files, fset := goFiles(t)
	for p, f := range files {
		if strings.HasPrefix(p, "spec/") {
			continue
		}
		bad := func(n ast.Node, what string) {
			t.Errorf("%s:%d: %s names a table: use spec", p, fset.Position(n.Pos()).Line, what)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.KeyValueExpr:
				k, ok := x.Key.(*ast.Ident)
				v, isLit := x.Value.(*ast.BasicLit)
				if ok && isLit && v.Kind == token.STRING && (k.Name == "Table" || k.Name == "Namespace") {
					bad(x, k.Name+": "+v.Value)
				}
				if ok && isLit && v.Kind == token.STRING && k.Name == "Stage" && !strings.HasPrefix(p, "lake/") {
					t.Errorf("%s:%d: Stage: %s names a stage: use its spec.Spec's Name", p, fset.Position(x.Pos()).Line, v.Value)
				}
			case *ast.BasicLit:
				if x.Kind == token.STRING && literal.MatchString(x.Value) {
					bad(x, x.Value)
				}
			case *ast.BinaryExpr:
				for _, side := range [2][2]ast.Expr{{x.X, x.Y}, {x.Y, x.X}} {
					if sel, ok := side[0].(*ast.SelectorExpr); ok && sel.Sel.Name == "Table" && isName(side[1]) {
						bad(x, "comparing .Table with a literal")
					}
				}
			case *ast.CompositeLit:
				n, strs := 0, 0
				for _, e := range x.Elts {
					if kv, ok := e.(*ast.KeyValueExpr); ok {
						e = kv.Key
					}
					if v, ok := e.(*ast.BasicLit); ok && v.Kind == token.STRING {
						strs++
					}
					if isName(e) {
						n++
					}
				}
				if n >= 2 && n == strs && !strings.HasPrefix(p, "cmd/") {
					bad(x, "a list of table names")
				}
			}
			return true
		})
	}
}

// tableNames reads the registry's table names from spec/tables.go (a test
// of the root package cannot import spec: lake imports the root).
func tableNames(t *testing.T) map[string]bool {
	t.Helper()
	files, _ := goFiles(t)
	names := map[string]bool{}
	ast.Inspect(files["spec/tables.go"], func(n ast.Node) bool {
		if kv, ok := n.(*ast.KeyValueExpr); ok {
			if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Name" {
				if v, ok := kv.Value.(*ast.BasicLit); ok {
					s, _ := strconv.Unquote(v.Value)
					names[s] = true
				}
			}
		}
		return true
	})
	if len(names) < 8 {
		t.Fatalf("read %d table names from spec/tables.go: %v", len(names), names)
	}
	return names
}

// Only lake/ imports iceberg-go and duckdb-go: a stage never touches
// Iceberg or the SQL engine directly.
func TestLayout_OnlyLakeImportsEngines(t *testing.T) {
	files, _ := goFiles(t)
	for p, f := range files {
		if strings.HasPrefix(p, "lake/") {
			continue
		}
		for _, im := range f.Imports {
			path, _ := strconv.Unquote(im.Path.Value)
			if strings.HasPrefix(path, "github.com/apache/iceberg-go") || strings.HasPrefix(path, "github.com/duckdb/duckdb-go") {
				t.Errorf("%s imports %s: only lake/ may", p, path)
			}
		}
	}
}
