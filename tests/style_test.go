package tests

import (
	"bytes"
	"go/format"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/xenolith/xenolith/"

// goFiles returns every .go file of the module (not testdata).
func goFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(repo, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "build" || strings.HasPrefix(d.Name(), ".")) && p != repo {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, ".go") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestUnsafeOnlyInUnsafeFiles: package unsafe is imported only by
// *_unsafe.go files, and every unsafe.Pointer there follows a "Safety:"
// comment in its function's doc (STYLE.md item 2).
func TestUnsafeOnlyInUnsafeFiles(t *testing.T) {
	fset := token.NewFileSet()
	for _, p := range goFiles(t) {
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		uses := false
		for _, imp := range f.Imports {
			if imp.Path.Value == `"unsafe"` {
				uses = true
			}
		}
		rel, _ := filepath.Rel(repo, p)
		isUnsafe := strings.HasSuffix(p, "_unsafe.go") || strings.HasSuffix(p, "_unsafe_test.go")
		if uses && !isUnsafe {
			t.Errorf("%s imports unsafe: move that code into a *_unsafe.go file", rel)
		}
		if !isUnsafe {
			continue
		}
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		// Every function in the file that mentions unsafe carries a Safety note.
		for _, fn := range strings.Split(string(src), "\nfunc ")[1:] {
			body := fn
			if strings.Contains(body, "unsafe.") {
				head := string(src[:strings.Index(string(src), fn)])
				doc := head[max(0, strings.LastIndex(head, "\n\n")):]
				if !strings.Contains(doc, "Safety:") {
					t.Errorf("%s: func %s uses unsafe without a Safety: comment", rel, strings.SplitN(fn, "(", 2)[0])
				}
			}
		}
	}
}

// TestImportDirection: dependencies point down only (docs/design.md):
// cmd -> toolstack -> domains -> hypercall, hypervisor. hypercall and
// hypervisor do not import each other; toolstack and cmd never touch KVM.
func TestImportDirection(t *testing.T) {
	forbidden := map[string][]string{
		"hypervisor": {"hypercall", "domains", "toolstack", "cmd"},
		"hypercall":  {"hypervisor", "domains", "toolstack", "cmd"},
		"domains":    {"toolstack", "cmd"},
		"toolstack":  {"hypervisor", "cmd"},
		"cmd":        {"hypervisor"},
	}
	fset := token.NewFileSet()
	for _, p := range goFiles(t) {
		rel, _ := filepath.Rel(repo, p)
		layer := strings.SplitN(filepath.ToSlash(rel), "/", 2)[0]
		bad, ok := forbidden[layer]
		if !ok {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(path, module) {
				continue
			}
			to := strings.SplitN(strings.TrimPrefix(path, module), "/", 2)[0]
			for _, b := range bad {
				if to == b {
					t.Errorf("%s (layer %s) imports %s: layer %s must not depend on %s", rel, layer, path, layer, b)
				}
			}
		}
	}
}

// TestGofmt: every Go file is gofmt-formatted.
func TestGofmt(t *testing.T) {
	for _, p := range goFiles(t) {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out, err := format.Source(src)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if !bytes.Equal(out, src) {
			rel, _ := filepath.Rel(repo, p)
			t.Errorf("%s is not gofmt-formatted: run gofmt -w %s", rel, rel)
		}
	}
}
