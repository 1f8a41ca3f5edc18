package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/server"
)

// The token command's output is a token the server's verifier accepts
// with the same secret, issuer and audience.
func TestTokenVerifies(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte(strings.Repeat("s", 40)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"token", "--jwt-secret-file", secret, "--jwt-issuer", "dev", "--jwt-audience", "api://vecompile", "--ttl", "5m"}, nil, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	v := &server.JWTVerifier{Issuers: []string{"dev"}, Audiences: []string{"api://vecompile"}, Secret: []byte(strings.Repeat("s", 40))}
	c, err := v.Verify(strings.TrimSpace(stdout.String()))
	if err != nil {
		t.Fatalf("the token does not verify: %v", err)
	}
	if left := time.Until(c.Expires); left <= 0 || left > 5*time.Minute {
		t.Fatalf("--ttl 5m gave a token expiring in %v", left)
	}
}

func TestVersionText(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-12-06T00:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	if got, want := versionText(bi, true), "vecompile v1.2.3 abc123+dirty (2026-12-06T00:00:00Z) go1.26.8"; got != want {
		t.Errorf("versionText = %q, want %q", got, want)
	}
	if got, want := versionText(&debug.BuildInfo{GoVersion: "go1.26.8"}, true), "vecompile (devel) go1.26.8"; got != want {
		t.Errorf("versionText = %q, want %q", got, want)
	}
	var stdout bytes.Buffer
	if code := run(context.Background(), []string{"version"}, nil, &stdout, &bytes.Buffer{}); code != 0 || !strings.HasPrefix(stdout.String(), "vecompile ") {
		t.Errorf("vecompile version: exit %d, %q", code, stdout.String())
	}
}
