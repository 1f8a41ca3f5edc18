package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// testIDP is an OpenID Connect provider on loopback whose JWKS the test
// sets.
type testIDP struct {
	srv  *httptest.Server
	mu   sync.Mutex
	keys []jose.JSONWebKey
	down bool
}

func newTestIDP(t *testing.T) *testIDP {
	p := &testIDP{}
	mux := http.NewServeMux()
	mux.HandleFunc("/tenant/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": p.issuer(), "jwks_uri": p.srv.URL + "/keys"})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.down {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: p.keys})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *testIDP) issuer() string { return p.srv.URL + "/tenant/v2.0" }

func (p *testIDP) publish(keys map[string]*rsa.PrivateKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys = nil
	for kid, k := range keys {
		p.keys = append(p.keys, jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Use: "sig"})
	}
}

func rsaKey(t *testing.T) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// entraToken is an app-only v2 access token signed by key kid.
func entraToken(t *testing.T, iss, kid string, k *rsa.PrivateKey) string {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok, err := jwt.Signed(s).Claims(map[string]any{
		"iss": iss, "aud": "6e74172b-be56-4843-9ff4-e66a39bb12e3", "azp": "client-app", "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47",
		"roles": []string{"vecompile.adapter"}, "ver": "2.0", "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// call sends a RetrieveMultiple with the token and returns the status.
func (s *served) call(t *testing.T, token string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", s.base+"/api/ve/v1/RetrieveMultiple", strings.NewReader(`<fetch top="1"><entity name="account"><attribute name="name"/></entity></fetch>`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-VE-User-Id", "aa000000-0000-4000-8000-000000000001")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestServeOIDCRotation: serve finds the provider's keys through
// discovery and follows a key rollover: the new key's tokens pass at
// once, the withdrawn key's fail.
func TestServeOIDCRotation(t *testing.T) {
	p := newTestIDP(t)
	a, b := rsaKey(t), rsaKey(t)
	p.publish(map[string]*rsa.PrivateKey{"a": a})
	s := startServeArgs(t, []string{"--oidc-issuer", p.issuer(), "--jwt-audience", "api://vecompile,6e74172b-be56-4843-9ff4-e66a39bb12e3",
		"--entra-tenant", "72f988bf-86f1-41af-91ab-2d7cd011db47", "--jwks-min-refresh", "1ms"})
	tokA := entraToken(t, p.issuer(), "a", a)
	if code := s.call(t, tokA); code != 200 {
		t.Fatalf("a token of the published key: %d\n%s", code, s.stderr.String())
	}
	p.publish(map[string]*rsa.PrivateKey{"b": b})
	time.Sleep(2 * time.Millisecond)
	if code := s.call(t, entraToken(t, p.issuer(), "b", b)); code != 200 {
		t.Errorf("a token of the new key: %d", code)
	}
	time.Sleep(2 * time.Millisecond)
	if code := s.call(t, tokA); code != 401 {
		t.Errorf("a token of the withdrawn key: %d", code)
	}
	if code := s.call(t, entraToken(t, "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/", "b", b)); code != 401 {
		t.Errorf("a v1 issuer not configured: %d", code)
	}
	if !strings.Contains(s.stderr.String(), `"msg":"the JWKS changed"`) {
		t.Errorf("the rotation is not logged:\n%s", s.stderr.String())
	}
}

// TestServeJWKSFlagErrors: serve refuses to start when the keys cannot
// be fetched, or the flags contradict each other.
func TestServeJWKSFlagErrors(t *testing.T) {
	p := newTestIDP(t)
	p.down = true
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--jwks-url", p.srv.URL + "/keys"}, "HTTP 503"},
		{[]string{"--oidc-issuer", p.issuer()}, "HTTP 503"},
		{[]string{"--oidc-issuer", p.srv.URL + "/other/v2.0"}, "404"},
		{[]string{"--jwks-url", "http://login.example.com/keys"}, "https only"},
		{[]string{"--jwks-url", p.srv.URL + "/keys", "--oidc-issuer", p.issuer()}, "not both"},
		{[]string{"--jwks-url", p.srv.URL + "/keys", "--entra-tenant", "contoso"}, "GUID"},
		{[]string{"--jwks-url", p.srv.URL + "/keys", "--jwks-refresh", "1m", "--jwks-min-refresh", "5m"}, "--jwks-min-refresh"},
	} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"serve", "--insecure", "--jwt-audience", "api://x", "--jwt-issuer", "iss"}, c.args...)
		if code := run(context.Background(), args, nil, &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), "VE5004") || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %s", c.args, code, stderr.String())
		}
	}
}
