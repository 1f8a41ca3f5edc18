package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
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

func TestServeRefusesWithoutSecurityModel(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"serve", "--addr=127.0.0.1:0"}, nil, &stdout, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "VE6007") || !strings.Contains(stderr.String(), `"level":"ERROR","msg":"refusing to start`) {
		t.Errorf("exit %d, stderr:\n%s", code, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout: %s", stdout.String())
	}
}

func TestServeInsecureSample(t *testing.T) {
	secret := "serve-test-secret-0123456789abcdef0123"
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--insecure", "--addr=127.0.0.1:0", "--jwt-secret-file=" + secretFile, "--jwt-audience=api://test", "--jwt-issuer=iss"}, nil, &stdout, &stderr)
	}()
	addrRE := regexp.MustCompile(`listening on (http://\S+)`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d:\n%s", code, stderr.String())
		default:
		}
	}
	if base == "" {
		t.Fatalf("serve did not start:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "security is OFF") {
		t.Errorf("the log does not say security is off:\n%s", stderr.String())
	}
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	in := enc(map[string]string{"alg": "HS256"}) + "." + enc(map[string]any{"iss": "iss", "aud": "api://test", "exp": time.Now().Add(time.Hour).Unix(), "roles": []string{"vecompile.adapter"}})
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(in))
	token := in + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	req, _ := http.NewRequest("POST", base+"/api/ve/v1/RetrieveMultiple", strings.NewReader(`<fetch top="1"><entity name="account"><attribute name="name"/><order attribute="name"/></entity></fetch>`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-VE-User-Id", "aa000000-0000-4000-8000-000000000002")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	json.NewDecoder(res.Body).Decode(&body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(func() string { b, _ := json.Marshal(body); return string(b) }(), `"name":"100% Natural"`) {
		t.Errorf("RetrieveMultiple through serve: %d %v", res.StatusCode, body)
	}
	cancel() // as SIGINT does
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after shutdown:\n%s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
	if !strings.Contains(stderr.String(), `"msg":"stopped"`) {
		t.Errorf("no stop in the log:\n%s", stderr.String())
	}
}

func TestServeFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--insecure"}, // no keys
		{"serve", "--insecure", "--jwt-secret-file=/nonexistent"},
		{"serve", "--insecure", "--jwt-key=/nonexistent"},
		{"serve", "--insecure", "--naming=bogus"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, nil, &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), "VE5004") {
			t.Errorf("%v: exit %d, stderr %s", args, code, stderr.String())
		}
	}
}
