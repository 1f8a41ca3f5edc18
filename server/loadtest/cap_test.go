package loadtest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakePeer answers every request as the reference server does, after
// passing the reply through edit: the peer's check must accept the
// faithful copy and refuse every altered one.
func fakePeer(t *testing.T, ref *Env, edit func(map[string]any)) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), "GET", ref.Base+r.URL.RequestURI(), nil)
		req.Header = ref.Header.Clone()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		var doc map[string]any
		if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		edit(doc)
		json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestCheckPeer(t *testing.T) {
	ctx := context.Background()
	ref, err := Start(ctx, EnvOptions{Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	c := Client(1)
	firstRow := func(doc map[string]any) map[string]any { return doc["value"].([]any)[0].(map[string]any) }
	for _, tc := range []struct {
		name string
		rd   Read
		edit func(map[string]any)
		want string // "" when the check passes
	}{
		{"a, same rows", ReadA, func(map[string]any) {}, ""},
		{"b, same rows", ReadB, func(map[string]any) {}, ""},
		{"b, rows reordered", ReadB, func(d map[string]any) { slices.Reverse(d["value"].([]any)) }, ""},
		{"b, expanded key added (CAP adds it)", ReadB, func(d map[string]any) {
			for _, r := range d["value"].([]any) {
				if x, ok := r.(map[string]any)["customerid_account"].(map[string]any); ok {
					x["accountid"] = "acc00000-0000-4000-8000-000000000001"
				}
			}
		}, ""},
		{"a, another account", ReadA, func(d map[string]any) { d["accountid"] = "acc00000-0000-4000-8000-0000000000ff" }, "only in the peer's"},
		{"a, another name", ReadA, func(d map[string]any) { d["name"] = "renamed" }, "only in the peer's"},
		{"b, a row missing", ReadB, func(d map[string]any) { d["value"] = d["value"].([]any)[1:] }, "9 rows, want 10"},
		{"b, another customer", ReadB, func(d map[string]any) {
			firstRow(d)["customerid_account"] = map[string]any{"name": "someone else"}
		}, "only in the peer's"},
		{"b, customer dropped", ReadB, func(d map[string]any) { firstRow(d)["customerid_account"] = nil }, "|null"},
		{"b, not a collection", ReadB, func(d map[string]any) { d["value"] = "x" }, "not a collection"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys := ref.IDs[:3]
			if !tc.rd.ByKey {
				keys = keys[:1]
			}
			err := checkPeer(ctx, c, fakePeer(t, ref, tc.edit), ref, tc.rd, keys)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused a faithful peer: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("check = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	// A peer that fails is refused with its status.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no such table", 500) }))
	defer srv.Close()
	if err := checkPeer(ctx, c, srv.URL, ref, ReadA, ref.IDs[:1]); err == nil || !strings.Contains(err.Error(), "HTTP 500: no such table") {
		t.Errorf("a failing peer: %v", err)
	}
}

// TestCompareCAPSkipped: a CAP project that is not installed (or no
// node) gives "skipped" rows with the reason, and the run goes on.
func TestCompareCAPSkipped(t *testing.T) {
	dir := t.TempDir()
	if why := CAPSkipReason(dir); why == "" || (!strings.Contains(why, "npm ci --prefix "+dir) && why != "node is not on PATH") {
		t.Fatalf("CAPSkipReason(empty dir) = %q", why)
	}
	if why := CAPSkipReason(""); why == "" {
		t.Fatal("no project: no reason")
	}
	var out strings.Builder
	o := CompareOptions{Engine: "sqlite", Reads: []Read{ReadA}, Conns: []int{1}, Variants: []string{"floor", "unsecured"},
		Duration: 100 * time.Millisecond, Out: &out, CAP: dir}
	rows, err := Compare(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Variant != "floor" || rows[1].Variant != "unsecured" {
		t.Fatalf("rows %v", rows)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "| cap | skipped: ") || strings.Count(lines[1], "|") != strings.Count(CompareHeader[:strings.Index(CompareHeader, "\n")], "|") {
		t.Fatalf("output:\n%s", out.String())
	}
	// Not on PostgreSQL or MySQL: the project reads SQLite, no rows there.
	if q, err := startPeer(context.Background(), CompareOptions{Engine: "postgres", CAP: dir}, nil, nil); err != nil || q.enabled() {
		t.Errorf("a CAP peer on PostgreSQL: %v %v", q, err)
	}
}

func TestCAPEnv(t *testing.T) {
	env := capEnv([]string{"HOME=/root", "PORT=1", "WORKERS=4", "cds_workers=2", "CDS_REQUIRES_DB_CREDENTIALS_URL=other.db", "NODE_ENV=development"}, 4321, "/tmp/x.db")
	want := []string{"HOME=/root", "PORT=4321", "cds_requires_db_credentials_url=/tmp/x.db", "NODE_ENV=production"}
	if !slices.Equal(env, want) {
		t.Errorf("capEnv = %q, want %q", env, want)
	}
}

// TestProcCPU reads this process's CPU time from /proc: it grows with
// work and never exceeds what getrusage says (same clock, coarser ticks).
func TestProcCPU(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	// Work until getrusage has counted 50 ms of CPU (a wall-clock bound
	// would give little CPU on a loaded machine): five of /proc's ticks.
	before, ru0 := procCPU(os.Getpid()), processCPU()
	for t0 := time.Now(); processCPU()-ru0 < 50*time.Millisecond && time.Since(t0) < time.Minute; {
	}
	after := procCPU(os.Getpid())
	if after <= before {
		t.Errorf("procCPU did not grow over busy work: %v → %v", before, after)
	}
	if ru := processCPU(); after > ru+20*time.Millisecond {
		t.Errorf("procCPU %v exceeds getrusage's %v", after, ru)
	}
	if procCPU(-1) != 0 {
		t.Error("a missing process has CPU time")
	}
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 8}
	if b.tail() != "no output" {
		t.Errorf("empty: %q", b.tail())
	}
	io.WriteString(b, "0123456789")
	io.WriteString(b, "ab")
	if b.tail() != "456789ab" {
		t.Errorf("tail = %q", b.tail())
	}
}

// capProject is the project the load command starts, for the test that
// runs it (cap_peer_test.go).
var capProject = filepath.Join("..", "..", "cmd", "vecompile-load", "testdata", "cap")
