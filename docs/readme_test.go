package docs_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeBlocks returns the fenced code blocks of README.md in the given language.
func readmeBlocks(t *testing.T, lang string) []string {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, part := range strings.Split(string(b), "```"+lang+"\n")[1:] {
		end := strings.Index(part, "```")
		if end < 0 {
			t.Fatal("README: unterminated code block")
		}
		blocks = append(blocks, part[:end])
	}
	return blocks
}

// TestReadmePrograms checks that every Go program in the README is, byte for byte, one
// of examples/readme/*/main.go (each of which an Example with Output runs), and that
// each of those appears with the output its Example checks.
func TestReadmePrograms(t *testing.T) {
	files, err := filepath.Glob("../examples/readme/*/main.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("examples/readme: %v %v", files, err)
	}
	progs := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		progs[string(b)] = f
	}
	seen := map[string]bool{}
	for i, blk := range readmeBlocks(t, "go") {
		f, ok := progs[blk]
		if !ok {
			t.Errorf("README Go block %d is none of examples/readme/*/main.go:\n%s", i, blk)
			continue
		}
		seen[f] = true
	}
	readme, _ := os.ReadFile("../README.md")
	for _, f := range files {
		if !seen[f] {
			t.Errorf("%s is not in the README", f)
		}
		test, err := os.ReadFile(filepath.Join(filepath.Dir(f), "main_test.go"))
		if err != nil {
			t.Fatal(err)
		}
		_, out, ok := strings.Cut(string(test), "// Output:\n")
		if !ok {
			t.Fatalf("%s: no Output", f)
		}
		var want []string
		for _, l := range strings.Split(out, "\n") {
			if l = strings.TrimSpace(l); strings.HasPrefix(l, "// ") {
				want = append(want, l[3:])
			}
		}
		if !strings.Contains(string(readme), "```\n"+strings.Join(want, "\n")+"\n```") {
			t.Errorf("README lacks the output of %s:\n%s", f, strings.Join(want, "\n"))
		}
	}
}

// TestNoOutsideReferences checks that no file of the project refers to files outside it
// (the team's shared folder) or to issue numbers of its tracker.
func TestNoOutsideReferences(t *testing.T) {
	bad := regexp.MustCompile(`\.\./shared|/work/|(?i)\bissue #?\d+`)
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			switch {
			case path != ".." && strings.HasPrefix(name, "."):
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(name) {
		case ".go", ".md", ".txt", "":
		default:
			return nil
		}
		if path == "../docs/readme_test.go" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if bad.MatchString(line) {
				t.Errorf("%s:%d: %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
