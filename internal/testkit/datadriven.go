// Package testkit holds the test harness shared by vecompile's packages:
// a datadriven golden-file runner (the cockroachdb/datadriven format with
// an -update flag) and helpers that find the test engines.
package testkit

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Update rewrites expected outputs in place: go test ./... -update.
var Update = flag.Bool("update", false, "rewrite golden files and datadriven expectations in place")

// Directive is one test case of a datadriven file:
//
//	command key=value key2=(a,b)
//	input lines…
//	----
//	expected output
//
// The expected output ends at the first blank line; an output that
// contains blank lines is written between "----\n----" fences.
type Directive struct {
	Pos      string // file:line of the command
	Cmd      string
	Args     map[string]string
	ArgOrder []string
	Input    string
	Expected string

	start, end int // line range of the expected block, for rewriting
}

// Arg returns an argument's value and whether it was given.
func (d *Directive) Arg(k string) (string, bool) {
	v, ok := d.Args[k]
	return v, ok
}

// RunFile runs every directive of path through f and compares the output.
// With -update the file's expectations are rewritten.
func RunFile(t *testing.T, path string, f func(t *testing.T, d *Directive) string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	ds, err := parseDirectives(path, lines)
	if err != nil {
		t.Fatal(err)
	}
	type rewrite struct {
		start, end int
		text       string
	}
	var rewrites []rewrite
	for _, d := range ds {
		d := d
		var got string
		t.Run(fmt.Sprintf("%s/%s", d.Pos[strings.LastIndexByte(d.Pos, ':')+1:], d.Cmd), func(t *testing.T) {
			got = strings.TrimRight(f(t, d), "\n")
			if *Update {
				return
			}
			if got != d.Expected {
				t.Errorf("%s: %s\n--- want\n%s\n--- got\n%s", d.Pos, d.Cmd, d.Expected, got)
			}
		})
		if *Update {
			rewrites = append(rewrites, rewrite{d.start, d.end, got})
		}
	}
	if *Update {
		var out []string
		prev := 0
		for _, r := range rewrites {
			out = append(out, lines[prev:r.start]...)
			if strings.Contains(r.text, "\n\n") || strings.HasPrefix(r.text, "\n") {
				out = append(out, "----", "----")
				out = append(out, strings.Split(r.text, "\n")...)
				out = append(out, "----", "----")
			} else {
				out = append(out, "----")
				if r.text != "" {
					out = append(out, strings.Split(r.text, "\n")...)
				}
			}
			prev = r.end
		}
		out = append(out, lines[prev:]...)
		if err := os.WriteFile(path, []byte(strings.Join(out, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func parseDirectives(path string, lines []string) ([]*Directive, error) {
	var out []*Directive
	i := 0
	for i < len(lines) {
		line := strings.TrimSpace(lines[i])
		if line == "" || strings.HasPrefix(line, "#") {
			i++
			continue
		}
		d := &Directive{Pos: fmt.Sprintf("%s:%d", path, i+1), Args: map[string]string{}}
		fields := splitArgs(line)
		d.Cmd = fields[0]
		for _, f := range fields[1:] {
			k, v, _ := strings.Cut(f, "=")
			d.Args[k] = strings.Trim(v, "()")
			d.ArgOrder = append(d.ArgOrder, k)
		}
		i++
		var input []string
		for i < len(lines) && lines[i] != "----" {
			input = append(input, lines[i])
			i++
		}
		if i >= len(lines) {
			return nil, fmt.Errorf("%s: directive %q has no ---- separator", d.Pos, d.Cmd)
		}
		d.Input = strings.Join(input, "\n")
		d.start = i
		i++
		var exp []string
		if i < len(lines) && lines[i] == "----" {
			i++
			for i+1 < len(lines) && !(lines[i] == "----" && lines[i+1] == "----") {
				exp = append(exp, lines[i])
				i++
			}
			i += 2
		} else {
			for i < len(lines) && lines[i] != "" {
				exp = append(exp, lines[i])
				i++
			}
		}
		d.end = min(i, len(lines))
		d.Expected = strings.Join(exp, "\n")
		out = append(out, d)
	}
	return out, nil
}

// splitArgs splits on spaces outside parentheses.
func splitArgs(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ' ':
			if depth == 0 {
				if i > start {
					out = append(out, s[start:i])
				}
				start = i + 1
			}
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// Inputs returns the input of every directive in the datadriven files that
// match pattern, in file and document order, for tests that reuse the
// cases' queries (round trips, fuzz seeds).
func Inputs(pattern string) ([]string, error) {
	files, err := filepath.Glob(pattern)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		ds, err := parseDirectives(file, strings.Split(string(data), "\n"))
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			out = append(out, d.Input)
		}
	}
	return out, nil
}
