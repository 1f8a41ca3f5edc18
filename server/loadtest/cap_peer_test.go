//go:build cap

package loadtest

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestCAPPeer runs the real CAP project (installed with npm ci --prefix
// cmd/vecompile-load/testdata/cap; node on PATH) through the comparison:
// it starts, its replies match the unsecured server's for both reads, it
// is measured with its own CPU time, and it stops. Behind the "cap" build
// tag, since CI does not install CAP (its better-sqlite3 compiles SQLite
// from source, minutes):
//
//	go test -tags cap -run TestCAPPeer -v ./server/loadtest
func TestCAPPeer(t *testing.T) {
	if why := CAPSkipReason(capProject); why != "" {
		t.Skip(why)
	}
	var out strings.Builder
	o := CompareOptions{Engine: "sqlite", Reads: []Read{ReadA, ReadB}, Conns: []int{2}, Variants: []string{"floor", "unsecured"},
		Duration: 500 * time.Millisecond, Out: &out, CAP: capProject}
	rows, err := Compare(context.Background(), o)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	var caps []CompareRow
	for _, r := range rows {
		if r.Variant == "cap" {
			caps = append(caps, r)
		}
	}
	if len(caps) != 2 || strings.Contains(out.String(), "skipped") {
		t.Fatalf("CAP cells: %d, want 2 measured", len(caps))
	}
	for _, r := range caps {
		if r.Result.Requests == 0 || r.Result.Status[200] != r.Result.Requests {
			t.Errorf("%s: %v", r.Read, r.Result)
		}
		// CAP's CPU is its own process's plus the generator's: more than
		// the generator alone would spend on so few requests.
		if r.Result.CPU <= 0 {
			t.Errorf("%s: no CPU time", r.Read)
		}
	}
	// The unsecured cells carry their ratio to CAP.
	n := 0
	for _, l := range strings.Split(out.String(), "\n") {
		if f := strings.Split(l, "|"); len(f) > 9 && strings.TrimSpace(f[4]) == "unsecured" {
			n++
			if x := strings.TrimSpace(f[9]); x == "—" || x == "" {
				t.Errorf("no × CAP: %s", l)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d unsecured lines, want 2:\n%s", n, out.String())
	}
}
