package snapshot_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestExamplesHandleErrors reads the examples of every package, which
// people copy: none drops a call's last result, its error, into _
// (x, _ := f()), nor calls a function but fmt's as a statement, whose
// error it would ignore.
func TestExamplesHandleErrors(t *testing.T) {
	files, _ := filepath.Glob("../*/example_test.go")
	if len(files) < 3 {
		t.Fatalf("example files: %q", files)
	}
	fset := token.NewFileSet()
	for _, file := range files {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || len(fn.Name.Name) < 7 || fn.Name.Name[:7] != "Example" {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.AssignStmt:
					// An error is a call's last result.
					_, call := n.Rhs[len(n.Rhs)-1].(*ast.CallExpr)
					if id, ok := n.Lhs[len(n.Lhs)-1].(*ast.Ident); call && ok && id.Name == "_" {
						t.Errorf("%s: %s drops a call's last result, its error", fset.Position(n.Pos()), fn.Name.Name)
					}
				case *ast.ExprStmt:
					call, ok := n.X.(*ast.CallExpr)
					if !ok {
						break
					}
					if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
						if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "fmt" {
							break
						}
					}
					t.Errorf("%s: %s calls %s as a statement, dropping any error", fset.Position(n.Pos()), fn.Name.Name, callName(call.Fun))
				}
				return true
			})
		}
	}
}

// callName returns the text of a called function's expression.
func callName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return callName(e.X) + "." + e.Sel.Name
	}
	return "a function"
}

// TestExamplesShort pins issue 17's five small programs, which show the
// library as a new user writes against it, at under 40 lines each: the top
// ports of a table, proc to JSON and back, NAT'd established flows printed
// as conntrack prints them, a diff of two captures, one line and its error.
func TestExamplesShort(t *testing.T) {
	fset := token.NewFileSet()
	for _, key := range []string{
		"../format/example_test.go:Example_topPorts",
		"../codec/example_test.go:Example",
		"../format/example_test.go:Example_nat",
		"../snapshot/example_test.go:ExampleNewDiff",
		"../format/example_test.go:ExampleParseError_Underline",
	} {
		file, name, _ := strings.Cut(key, ":")
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == name {
				found = true
				if n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1; n >= 40 {
					t.Errorf("%s: %d lines", key, n)
				}
			}
		}
		if !found {
			t.Errorf("%s: no such Example", key)
		}
	}
}
