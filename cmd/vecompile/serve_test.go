package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is written by the server goroutine and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

const serveSecret = "serve-test-secret-0123456789abcdef0123"

func serveSecretFile(t *testing.T) string {
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte(serveSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return secretFile
}

func TestServeRefusesWithoutSecurityModel(t *testing.T) {
	var stdout, stderr bytes.Buffer
	// A database without security tables, no --policy, no --insecure.
	db := "sqlite:" + filepath.Join(t.TempDir(), "empty.db") + "?create=true"
	code := run(context.Background(), []string{"serve", "--addr=127.0.0.1:0", "--db", db, "--jwt-secret-file=" + serveSecretFile(t), "--jwt-audience=api://test", "--jwt-issuer=iss"}, nil, &stdout, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "VE6007") || !strings.Contains(stderr.String(), `"level":"ERROR","msg":"refusing to start`) {
		t.Errorf("exit %d, stderr:\n%s", code, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout: %s", stdout.String())
	}
}

// served is a running 'vecompile serve' and its log.
type served struct {
	base           string
	stdout, stderr *lockedBuffer
	cancel         func()
	exited         chan struct{} // closed when run returns, with code set
	code           int
}

func startServe(t *testing.T, args ...string) *served {
	t.Helper()
	return startServeArgs(t, append([]string{"--jwt-secret-file=" + serveSecretFile(t), "--jwt-audience=api://test", "--jwt-issuer=iss"}, args...))
}

// startServeArgs starts serve on a free loopback port with these flags
// only.
func startServeArgs(t *testing.T, args []string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, cancel: cancel, exited: make(chan struct{})}
	// No drain by default: the tests stop at once (a test's own --drain wins).
	args = append([]string{"serve", "--addr=127.0.0.1:0", "--drain=0s"}, args...)
	go func() { s.code = run(ctx, args, nil, s.stdout, s.stderr); close(s.exited) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.exited:
		case <-time.After(15 * time.Second):
		}
	})
	addrRE := regexp.MustCompile(`listening on (http://\S+)`)
	for deadline := time.Now().Add(10 * time.Second); s.base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(s.stdout.String()); m != nil {
			s.base = m[1]
		}
		select {
		case <-s.exited:
			t.Fatalf("serve exited %d:\n%s", s.code, s.stderr.String())
		default:
		}
	}
	if s.base == "" {
		t.Fatalf("serve did not start:\n%s", s.stderr.String())
	}
	return s
}

// post sends a RetrieveMultiple as user and returns the status and body.
func (s *served) post(t *testing.T, user, fetch string) (int, string) {
	t.Helper()
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	in := enc(map[string]string{"alg": "HS256"}) + "." + enc(map[string]any{"iss": "iss", "aud": "api://test", "exp": time.Now().Add(time.Hour).Unix(), "roles": []string{"vecompile.adapter"}})
	mac := hmac.New(sha256.New, []byte(serveSecret))
	mac.Write([]byte(in))
	token := in + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	req, _ := http.NewRequest("POST", s.base+"/api/ve/v1/RetrieveMultiple", strings.NewReader(fetch))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-VE-User-Id", user)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	json.NewDecoder(res.Body).Decode(&body)
	b, _ := json.Marshal(body)
	return res.StatusCode, string(b)
}

func TestServeInsecureSample(t *testing.T) {
	s := startServe(t, "--insecure", "--drain", "100ms", "--db-conns", "3")
	if !strings.Contains(s.stderr.String(), "security is OFF") {
		t.Errorf("the log does not say security is off:\n%s", s.stderr.String())
	}
	status, body := s.post(t, "aa000000-0000-4000-8000-000000000002", `<fetch top="1"><entity name="account"><attribute name="name"/><order attribute="name"/></entity></fetch>`)
	if status != 200 || !strings.Contains(body, `"name":"100% Natural"`) {
		t.Errorf("RetrieveMultiple through serve: %d %v", status, body)
	}
	s.cancel() // as SIGINT does
	select {
	case <-s.exited:
		if s.code != 0 {
			t.Errorf("exit %d after shutdown:\n%s", s.code, s.stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
	if !strings.Contains(s.stderr.String(), `"msg":"stopped"`) {
		t.Errorf("no stop in the log:\n%s", s.stderr.String())
	}
}

// TestServeSecuredSample: on the embedded sample, serve uses the sample's
// model without flags (and with --policy sample): a salesperson reads her
// accounts only, a user unknown to the model is refused.
func TestServeSecuredSample(t *testing.T) {
	for _, args := range [][]string{nil, {"--policy", "sample"}} {
		s := startServe(t, args...)
		if !strings.Contains(s.stderr.String(), `"security":"on (`) {
			t.Errorf("%v: the log does not say security is on:\n%s", args, s.stderr.String())
		}
		fetch := `<fetch><entity name="account"><attribute name="ownerid"/></entity></fetch>`
		status, body := s.post(t, "aa000000-0000-4000-8000-000000000004", fetch)
		_, all := s.post(t, "aa000000-0000-4000-8000-000000000001", fetch) // the System Administrator
		if n, total := strings.Count(body, `"ownerid"`), strings.Count(all, `"ownerid"`); status != 200 || n == 0 || n >= total {
			t.Errorf("%v: the salesperson reads %d of %d accounts: %d %s", args, n, total, status, body)
		}
		if status, body := s.post(t, "aa000000-0000-4000-8000-0000000000ff", fetch); status != 403 || !strings.Contains(body, "VE3005") {
			t.Errorf("%v: unknown user: %d %s", args, status, body)
		}
	}
}

func TestServeFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--insecure"}, // no keys
		{"serve", "--insecure", "--jwt-secret-file=/nonexistent"},
		{"serve", "--insecure", "--jwt-key=/nonexistent"},
		{"serve", "--insecure", "--naming=bogus"},
		{"serve", "--insecure", "--db-conns=-1"},
		{"serve", "--insecure", "--drain=-1s"},
		{"serve", "--insecure", "--grace=-1s"},
		{"serve", "--insecure", "--gc-percent=0"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, nil, &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), "VE5004") {
			t.Errorf("%v: exit %d, stderr %s", args, code, stderr.String())
		}
	}
}

// TestServeGCPercent: serve runs with the server's collector target and
// says so at start; --gc-percent sets another (server.SetGCPercent is
// tested with GOGC in the server package).
func TestServeGCPercent(t *testing.T) {
	was := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(was) })
	t.Setenv("GOGC", "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, `"gc_percent":400,"gc_percent_from":"default"`},
		{[]string{"--gc-percent=250"}, `"gc_percent":250,"gc_percent_from":"flag"`},
	} {
		s := startServe(t, append([]string{"--insecure"}, c.args...)...)
		if !strings.Contains(s.stderr.String(), c.want) {
			t.Errorf("%v: the start-up line does not say %s:\n%s", c.args, c.want, s.stderr.String())
		}
		s.cancel()
		<-s.exited
	}
}

// TestServeReloadsSecurity: with the model read from the database's
// security tables, serve re-reads them every 30 s by default; with
// --security-reload 200ms a salesperson whose role is taken away in the
// tables loses her reads within a moment, without a restart.
func TestServeReloadsSecurity(t *testing.T) {
	path := sampleFile(t)
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"security", "init", "--db=sqlite:" + path, "--policy=sample"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("security init: exit %d: %s", code, stderr.String())
	}
	def := startServe(t, "--db=sqlite:"+path)
	if !strings.Contains(def.stderr.String(), `"security_reload":"every 30s"`) {
		t.Errorf("the default reload is not every 30s:\n%s", def.stderr.String())
	}
	def.cancel()
	<-def.exited
	s := startServe(t, "--db=sqlite:"+path, "--security-reload=200ms")
	const salesperson = "aa000000-0000-4000-8000-000000000004"
	fetch := `<fetch><entity name="account"><attribute name="name"/></entity></fetch>`
	if status, body := s.post(t, salesperson, fetch); status != 200 || !strings.Contains(body, `"name"`) {
		t.Fatalf("before the change: %d %s", status, body)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("DELETE FROM systemuserroles WHERE systemuserid = ?", salesperson); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		status, body := s.post(t, salesperson, fetch)
		if status == 403 || status == 200 && !strings.Contains(body, `"name"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("5 s after her roles were removed, the salesperson still reads: %d %s", status, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
