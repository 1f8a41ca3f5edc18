package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// SAP CAP is the comparison's optional peer (issue 17): a small CAP
// project (cmd/vecompile-load/testdata/cap) serves the account and
// opportunity tables of the same SQLite file over OData v4, at the same
// paths as vecompile, so that both get the same requests. CAP has no
// security model here: it is checked against, and best compared with,
// the unsecured server.

// capServe is CAP's server entry point inside an installed project.
const capServe = "node_modules/@sap/cds/bin/serve.js"

// CAPSkipReason says why the CAP project in dir cannot run on this
// machine ("" when it can): node missing, or the project not installed.
func CAPSkipReason(dir string) string {
	if dir == "" {
		return "no CAP project given"
	}
	if _, err := exec.LookPath("node"); err != nil {
		return "node is not on PATH"
	}
	if _, err := os.Stat(filepath.Join(dir, capServe)); err != nil {
		return "the CAP project is not installed (npm ci --prefix " + dir + ")"
	}
	return ""
}

// capPeer is a running CAP server.
type capPeer struct {
	base   string
	cmd    *exec.Cmd
	out    *tailBuffer
	exited chan struct{}
}

// capStartTimeout bounds CAP's start (model compile, express, the first
// query); a loaded machine makes it slow.
const capStartTimeout = 90 * time.Second

// startCAP starts the CAP project in dir on a free loopback port, reading
// the SQLite file dbFile, and returns once it answers a query.
func startCAP(ctx context.Context, dir, dbFile string) (*capPeer, error) {
	if why := CAPSkipReason(dir); why != "" {
		return nil, errors.New(why)
	}
	dbFile, err := filepath.Abs(dbFile)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("node", capServe)
	cmd.Dir = dir
	cmd.Env = capEnv(os.Environ(), port, dbFile)
	p := &capPeer{base: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, out: &tailBuffer{max: 4096}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { cmd.Wait(); close(p.exited) }()
	if err := p.waitReady(ctx); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

// capEnv is the environment CAP runs in: the port, the data file, the
// production profile (as deployed: no development middleware; the
// project's [production] profile sets the dummy authentication, the
// requests carry no user), and no cluster mode (one process, whose CPU
// time is read).
func capEnv(env []string, port int, dbFile string) []string {
	out := slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "PORT", "WORKERS", "CDS_WORKERS", "CDS_REQUIRES_DB_CREDENTIALS_URL", "NODE_ENV", "CDS_ENV":
			return true
		}
		return false
	})
	return append(out, "PORT="+strconv.Itoa(port), "cds_requires_db_credentials_url="+dbFile, "NODE_ENV=production")
}

// waitReady polls a one-row query until CAP answers it, CAP exits, or the
// start timeout passes.
func (p *capPeer) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(capStartTimeout)
	c := &http.Client{Timeout: 5 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", p.base+"/odata/accounts?$top=1", nil)
		if res, err := c.Do(req); err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.exited:
			return fmt.Errorf("CAP exited during start: %s", p.out.tail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("CAP did not answer within %s: %s", capStartTimeout, p.out.tail())
		}
	}
}

// close stops CAP: SIGTERM, then SIGKILL after 5 s.
func (p *capPeer) close() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// clockTicks is the unit of /proc/<pid>/stat's CPU times (USER_HZ, 100 on
// Linux's user ABI).
const clockTicks = 100

// cpu is CAP's user and system CPU time so far (all its threads).
func (p *capPeer) cpu() time.Duration { return procCPU(p.cmd.Process.Pid) }

// procCPU is a process's user and system CPU time, read from /proc; 0
// when unavailable.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name may hold spaces: fields count from after its ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	// Fields 14 and 15 of the file (utime, stime) are 11 and 12 here.
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(u+s) * time.Second / clockTicks
}

// checkPeer sends every request of the read to the peer and to the
// reference (the unsecured server) once, and compares the rows: the same
// number, with the same keys and names, and the same expanded record (by
// its name: the only property both select; CAP adds its key).
// A peer that answers differently produces no figure.
func checkPeer(ctx context.Context, c *http.Client, peerBase string, ref *Env, rd Read, keys []string) error {
	for _, k := range keys {
		path := rd.Path(k)
		want, err := readRows(ctx, c, ref.Base+path, ref.Header, rd)
		if err != nil {
			return fmt.Errorf("the reference server: %w", err)
		}
		if len(want) == 0 {
			return fmt.Errorf("the reference server returned no row for %s", path)
		}
		got, err := readRows(ctx, c, peerBase+path, nil, rd)
		if err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("%s: %d rows, want %d; only in the peer's: %q; only in the reference's: %q",
				path, len(got), len(want), missing(want, got), missing(got, want))
		}
	}
	return nil
}

// readRows is a reply's rows (one entity, or a collection's value) as
// sorted "key|name|expanded name" lines: sorted, because
// rows with equal sort values may come in either order.
func readRows(ctx context.Context, c *http.Client, url string, h http.Header, rd Read) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %.300s", res.StatusCode, body)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("%w: %.300s", err, body)
	}
	entities := []any{doc}
	if v, ok := doc["value"]; ok {
		if entities, ok = v.([]any); !ok {
			return nil, fmt.Errorf("value is not a collection: %.300s", body)
		}
	}
	var rows []string
	for _, e := range entities {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("a row is not an object: %.300s", body)
		}
		line := rowKey(m, rd.Key)
		if rd.Expand != "" {
			if x, ok := m[rd.Expand].(map[string]any); ok {
				line += "|" + fmt.Sprint(x["name"])
			} else if m[rd.Expand] != nil {
				return nil, fmt.Errorf("%s is not an object: %.300s", rd.Expand, body)
			} else {
				line += "|null"
			}
		}
		rows = append(rows, line)
	}
	slices.Sort(rows)
	return rows, nil
}

// missing is the lines of have that want lacks (both sorted).
func missing(want, have []string) []string {
	var out []string
	for _, l := range have {
		if _, found := slices.BinarySearch(want, l); !found {
			out = append(out, l)
		}
	}
	return out
}

// rowKey is "key|name" of an entity (GUIDs compared in lower case).
func rowKey(m map[string]any, key string) string {
	return strings.ToLower(fmt.Sprint(m[key])) + "|" + fmt.Sprint(m["name"])
}

// tailBuffer keeps the last max bytes written to it, for the error that
// says why a child process failed.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) tail() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(t.b))
	if s == "" {
		return "no output"
	}
	return s
}
