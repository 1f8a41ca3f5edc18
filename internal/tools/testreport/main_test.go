package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const stream = `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"pass","Package":"p","Test":"TestA"}
{"Action":"run","Package":"p","Test":"TestB"}
{"Action":"output","Package":"p","Test":"TestB/pg","Output":"=== RUN   TestB/pg\n"}
{"Action":"output","Package":"p","Test":"TestB/pg","Output":"    b_test.go:9: no DSN: skipping\n"}
{"Action":"output","Package":"p","Test":"TestB/pg","Output":"--- SKIP: TestB/pg (0.00s)\n"}
{"Action":"skip","Package":"p","Test":"TestB/pg"}
{"Action":"skip","Package":"p","Test":"TestB"}
{"Action":"output","Package":"p","Output":"ok  \tp\t0.1s\n"}
{"Action":"pass","Package":"p"}
`

func TestReportSkipsAndAllowList(t *testing.T) {
	var out bytes.Buffer
	if code := report(strings.NewReader(stream), &out, nil, false); code != 0 {
		t.Fatalf("exit %d without enforcement:\n%s", code, out.String())
	}
	for _, want := range []string{"ok  \tp\t0.1s", "SKIP p TestB/pg: b_test.go:9: no DSN: skipping\n", "1 passed, 0 failed, 2 skipped"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "SKIP p TestB:") {
		t.Errorf("a parent of a skipped subtest is listed again:\n%s", out.String())
	}
	out.Reset()
	if code := report(strings.NewReader(stream), &out, nil, true); code != 1 || !strings.Contains(out.String(), "[NOT ALLOWED]") {
		t.Fatalf("an unlisted skip passes under enforcement (exit %d):\n%s", code, out.String())
	}
	allow := filepath.Join(t.TempDir(), "allow")
	os.WriteFile(allow, []byte("# comment\np TestB/.* # no engine here\n"), 0o600)
	rules, err := readAllow(allow)
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := report(strings.NewReader(stream), &out, rules, true); code != 0 {
		t.Fatalf("an allowed skip fails (exit %d):\n%s", code, out.String())
	}
	os.WriteFile(allow, []byte("p TestB\n"), 0o600)
	if _, err := readAllow(allow); err == nil {
		t.Error("an allow line without a reason is accepted")
	}
}

func TestReportFailures(t *testing.T) {
	in := `{"Action":"output","Package":"p","Test":"TestC","Output":"    c_test.go:3: got 1, want 2\n"}
{"Action":"fail","Package":"p","Test":"TestC"}
{"Action":"fail","Package":"p"}
{"Action":"build-output","ImportPath":"q","Output":"q/x.go:1:1: syntax error\n"}
{"Action":"build-fail","ImportPath":"q"}
`
	var out bytes.Buffer
	if code := report(strings.NewReader(in), &out, nil, false); code != 1 {
		t.Fatalf("a failed test exits %d", code)
	}
	for _, want := range []string{"--- FAIL p TestC", "got 1, want 2", "BUILD FAIL q", "syntax error", "0 passed, 1 failed, 0 skipped"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
