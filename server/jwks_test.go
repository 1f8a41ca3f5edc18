package server_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/server"
)

// idp is an identity provider on loopback: an OpenID Connect discovery
// document and a JWKS whose keys, or failure, the test sets; it counts
// the JWKS fetches.
type idp struct {
	srv     *httptest.Server
	issuer  string
	mu      sync.Mutex
	keys    []jose.JSONWebKey
	body    string // when set, served instead of the keys
	status  int    // when set, the JWKS answers with it
	fetches atomic.Int64
}

func newIDP(t *testing.T) *idp {
	p := &idp{}
	mux := http.NewServeMux()
	mux.HandleFunc("/tenant/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": p.issuer, "jwks_uri": p.srv.URL + "/tenant/discovery/v2.0/keys"})
	})
	mux.HandleFunc("/tenant/discovery/v2.0/keys", func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		p.mu.Lock()
		defer p.mu.Unlock()
		switch {
		case p.status != 0:
			http.Error(w, "down", p.status)
		case p.body != "":
			w.Write([]byte(p.body))
		default:
			json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: p.keys})
		}
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	p.issuer = p.srv.URL + "/tenant/v2.0"
	return p
}

func (p *idp) jwksURL() string { return p.srv.URL + "/tenant/discovery/v2.0/keys" }

// publish sets the published keys (public halves), as Entra does without
// an alg member.
func (p *idp) publish(keys ...signingKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys, p.body, p.status = nil, "", 0
	for _, k := range keys {
		p.keys = append(p.keys, jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Use: "sig"})
	}
}

func (p *idp) fail(status int, body string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status, p.body = status, body
}

type signingKey struct {
	kid  string
	alg  jose.SignatureAlgorithm
	priv crypto.Signer
}

func newRSAKey(t testing.TB, kid string) signingKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{kid, jose.RS256, k}
}

func newECKey(t testing.TB, kid string) signingKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{kid, jose.ES256, k}
}

// sign signs claims with the key, naming its kid in the header.
func (k signingKey) sign(t testing.TB, c map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.priv}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", k.kid))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// clock is a settable clock for the key set's schedule.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// remoteVerifier is a verifier of the idp's tokens, keys loaded.
func remoteVerifier(t *testing.T, p *idp, clk *clock) *server.JWTVerifier {
	t.Helper()
	v := &server.JWTVerifier{Issuers: []string{testIssuer}, Audiences: []string{testAudience},
		Remote: &server.RemoteKeys{URL: p.jwksURL(), Now: clk.now}}
	if err := v.Remote.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return v
}

func wantFetches(t *testing.T, p *idp, want int64) {
	t.Helper()
	if got := p.fetches.Load(); got != want {
		t.Fatalf("the JWKS was fetched %d times, want %d", got, want)
	}
}

// eventually polls f (a background refresh to land) for up to 5 s.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if f() {
			return
		}
	}
	t.Fatalf("timed out waiting: %s", what)
}

// TestJWKSRotation: Entra-style key rollover. A token signed by a new key
// whose kid is unknown refreshes the set and passes; the old key's
// tokens, cached or not, fail once it is removed and the set refreshed.
func TestJWKSRotation(t *testing.T) {
	p := newIDP(t)
	clk := &clock{t: time.Now()}
	a, b := newRSAKey(t, "key-a"), newRSAKey(t, "key-b")
	p.publish(a)
	v := remoteVerifier(t, p, clk)
	wantFetches(t, p, 1)
	tokA := a.sign(t, claims(nil))
	if _, err := v.Verify(tokA); err != nil {
		t.Fatal(err)
	}
	// The provider adds key b and signs with it: the unknown kid fetches
	// the set once.
	p.publish(a, b)
	clk.add(server.DefaultJWKSMinRefresh)
	tokB := b.sign(t, claims(nil))
	if _, err := v.Verify(tokB); err != nil {
		t.Fatalf("a token of the new key: %v", err)
	}
	wantFetches(t, p, 2)
	if _, err := v.Verify(tokA); err != nil {
		t.Fatalf("the old key before its removal: %v", err)
	}
	// Key a is withdrawn; until the keys are an hour old the cached set
	// stands, then a background refresh drops it. A fresh token of key a
	// and the cached one both fail.
	p.publish(b)
	clk.add(30 * time.Minute)
	if _, err := v.Verify(tokA); err != nil {
		t.Fatalf("within the refresh period: %v", err)
	}
	wantFetches(t, p, 2)
	clk.add(31 * time.Minute)
	v.Verify(tokA) // starts the refresh
	eventually(t, "the withdrawn key's token is refused", func() bool {
		_, err := v.Verify(tokA)
		return diag.CodeOf(err) == diag.Unauthenticated
	})
	_, err := v.Verify(tokA)
	if !strings.Contains(err.Error(), `kid "key-a"`) {
		t.Errorf("the refusal does not name the kid: %v", err)
	}
	if _, err := v.Verify(a.sign(t, claims(map[string]any{"jti": "new"}))); diag.CodeOf(err) != diag.Unauthenticated {
		t.Errorf("a new token of the withdrawn key: %v", err)
	}
	if _, err := v.Verify(tokB); err != nil {
		t.Errorf("the current key after the refresh: %v", err)
	}
	// The unknown kid did not fetch again: one background refresh.
	wantFetches(t, p, 3)
}

// TestJWKSUnknownKidRateLimit: a burst of tokens naming kids the set
// lacks costs at most one fetch per MinRefresh, and a burst of tokens of
// a newly published key one fetch.
func TestJWKSUnknownKidRateLimit(t *testing.T) {
	p := newIDP(t)
	clk := &clock{t: time.Now()}
	a := newRSAKey(t, "key-a")
	p.publish(a)
	v := remoteVerifier(t, p, clk)
	forged := newRSAKey(t, "")
	burst := func(n int, token func(i int) string) (passed int64) {
		var wg sync.WaitGroup
		var ok atomic.Int64
		for i := range n {
			wg.Go(func() {
				if _, err := v.Verify(token(i)); err == nil {
					ok.Add(1)
				}
			})
		}
		wg.Wait()
		return ok.Load()
	}
	unknown := func(i int) string {
		k := forged
		k.kid = fmt.Sprintf("made-up-%d", i)
		return k.sign(t, claims(nil))
	}
	// Right after the start fetch: no fetch at all.
	if n := burst(50, unknown); n != 0 {
		t.Fatalf("%d forged tokens passed", n)
	}
	wantFetches(t, p, 1)
	clk.add(server.DefaultJWKSMinRefresh)
	if n := burst(50, unknown); n != 0 {
		t.Fatalf("%d forged tokens passed", n)
	}
	wantFetches(t, p, 2)
	if n := burst(50, unknown); n != 0 {
		t.Fatalf("%d forged tokens passed", n)
	}
	wantFetches(t, p, 2)
	// A new key, used at once by 20 requests: one fetch, all pass.
	c := newECKey(t, "key-c")
	p.publish(a, c)
	clk.add(server.DefaultJWKSMinRefresh)
	tokC := c.sign(t, claims(nil))
	if n := burst(20, func(int) string { return tokC }); n != 20 {
		t.Fatalf("%d of 20 tokens of the new ES256 key passed", n)
	}
	wantFetches(t, p, 3)
}

// TestJWKSFailures: a key set that cannot be read at start is an error
// (serve refuses to start); during operation a failed refresh keeps the
// last good keys and is retried after MinRefresh.
func TestJWKSFailures(t *testing.T) {
	a := newRSAKey(t, "key-a")
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	for _, c := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"down", "", http.StatusServiceUnavailable, "HTTP 503"},
		{"not JSON", "<html>sign in</html>", 0, "not JSON"},
		{"not a key set", `{"issuer":"x"}`, 0, "not a JSON Web Key Set"},
		{"no keys", `{"keys":[]}`, 0, "no usable signing key"},
		{"only unusable keys", mustJSON(t, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "sym"}, // a secret is never a JWKS key
			{Key: &small.PublicKey, KeyID: "short"},
			{Key: a.priv.Public(), KeyID: "enc", Use: "enc"},
			{Key: a.priv.Public(), KeyID: "ps", Algorithm: "PS256"},
		}}), 0, "no usable signing key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newIDP(t)
			p.fail(c.status, c.body)
			rk := &server.RemoteKeys{URL: p.jwksURL()}
			err := rk.Load(context.Background())
			if diag.CodeOf(err) != diag.BadFlag || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p.jwksURL()) {
				t.Errorf("Load = %v, want a VE5004 naming the URL and %q", err, c.want)
			}
			// Without keys, RS256 tokens are refused, not waved through.
			v := &server.JWTVerifier{Issuers: []string{testIssuer}, Audiences: []string{testAudience}, Remote: rk}
			if _, err := v.Verify(a.sign(t, claims(nil))); diag.CodeOf(err) != diag.Unauthenticated {
				t.Errorf("a token verified without keys: %v", err)
			}
		})
	}

	t.Run("during operation", func(t *testing.T) {
		p := newIDP(t)
		clk := &clock{t: time.Now()}
		p.publish(a)
		v := remoteVerifier(t, p, clk)
		tokA := a.sign(t, claims(nil))
		if _, err := v.Verify(tokA); err != nil {
			t.Fatal(err)
		}
		for i, fail := range []func(){
			func() { p.fail(http.StatusInternalServerError, "") },
			func() { p.fail(0, "garbage") },
			func() { p.fail(0, `{"keys":[]}`) },
		} {
			fail()
			clk.add(server.DefaultJWKSRefresh)
			eventually(t, "the failed refresh", func() bool {
				v.Verify(tokA) // starts the refresh once the last one is done
				return p.fetches.Load() == int64(2+i)
			})
			fresh := a.sign(t, claims(map[string]any{"jti": fmt.Sprint(i)}))
			for _, tok := range []string{tokA, fresh} {
				if _, err := v.Verify(tok); err != nil {
					t.Fatalf("failure %d: the last good keys were dropped: %v", i, err)
				}
			}
		}
		// A failed fetch is retried after MinRefresh, not on every request.
		wantFetches(t, p, 4)
		v.Verify(tokA)
		wantFetches(t, p, 4)
		p.publish(a)
		clk.add(server.DefaultJWKSMinRefresh)
		eventually(t, "the retry", func() bool {
			v.Verify(tokA)
			return p.fetches.Load() == 5
		})
	})
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestOIDCDiscovery: the JWKS is found through the issuer's discovery
// document, whose issuer must be the one configured.
func TestOIDCDiscovery(t *testing.T) {
	p := newIDP(t)
	ctx := context.Background()
	got, err := server.Discover(ctx, nil, p.issuer)
	if err != nil || got != p.jwksURL() {
		t.Fatalf("Discover = %q, %v", got, err)
	}
	// The document names another issuer (a typo, the /common endpoint).
	real := p.issuer
	p.issuer = p.srv.URL + "/{tenantid}/v2.0"
	if _, err := server.Discover(ctx, nil, real); diag.CodeOf(err) != diag.BadFlag || !strings.Contains(err.Error(), "{tenantid}") {
		t.Errorf("a document of another issuer: %v", err)
	}
	p.issuer = real
	for _, bad := range []string{
		p.srv.URL + "/nowhere/v2.0",            // 404
		"http://login.example.com/tenant/v2.0", // keys in clear off loopback
		"login.example.com/tenant",             // not a URL
	} {
		if _, err := server.Discover(ctx, nil, bad); diag.CodeOf(err) != diag.BadFlag {
			t.Errorf("Discover(%s): %v", bad, err)
		}
	}
	if err := server.CheckKeyURL("http://keys.example.com/keys"); diag.CodeOf(err) != diag.BadFlag {
		t.Errorf("a JWKS over plain http off loopback: %v", err)
	}
	if err := server.CheckKeyURL("https://login.microsoftonline.com/t/discovery/v2.0/keys"); err != nil {
		t.Error(err)
	}
}

// TestEntraTokens: Entra v1 and v2 access tokens for one API, through the
// server: either issuer form, either audience (the Application ID URI or
// the app id), the application from appid (v1) or azp (v2), the tenant
// checked.
func TestEntraTokens(t *testing.T) {
	const (
		tid    = "72f988bf-86f1-41af-91ab-2d7cd011db47"
		appID  = "6e74172b-be56-4843-9ff4-e66a39bb12e3" // the API's app registration
		client = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9" // the calling application
		sp     = "aa11bb22-cc33-4d44-8e55-ff6677889900" // its service principal
		v1Iss  = "https://sts.windows.net/" + tid + "/"
		v2Iss  = "https://login.microsoftonline.com/" + tid + "/v2.0"
	)
	p := newIDP(t)
	k := newRSAKey(t, "nOo3ZDrODXEK1jKWhXslHR_KXEg")
	p.publish(k)
	rk := &server.RemoteKeys{URL: p.jwksURL()}
	if err := rk.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	verifier := &server.JWTVerifier{Issuers: []string{v1Iss, v2Iss}, Audiences: []string{"api://vecompile", appID}, Remote: rk, Tenant: tid}
	f := fixtures(t)[0]
	var logs syncBuffer
	e := newEnv(t, f, func(c *server.Config) {
		c.Auth, c.Logger = verifier, slog.New(slog.NewJSONHandler(&logs, nil))
	})
	e.srv.RegisterAction(&server.Action{Name: "WhoAmI", Run: func(_ context.Context, c *server.ActionCall) (map[string]any, error) {
		return map[string]any{"app": c.Principal.App, "tid": c.Principal.Token.Tenant, "oid": c.Principal.Token.ObjectID}, nil
	}})
	now := time.Now()
	v1 := map[string]any{"aud": "api://vecompile", "iss": v1Iss, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"appid": client, "appidacr": "1", "idp": v1Iss, "oid": sp, "sub": sp, "tid": tid, "roles": []string{server.DefaultAdapterRole}, "ver": "1.0"}
	v2 := map[string]any{"aud": appID, "iss": v2Iss, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"azp": client, "azpacr": "1", "oid": sp, "sub": sp, "tid": tid, "roles": []string{server.DefaultAdapterRole}, "ver": "2.0"}
	with := func(base map[string]any, over map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range over {
			if v == nil {
				delete(out, k)
			} else {
				out[k] = v
			}
		}
		return out
	}
	for name, c := range map[string]map[string]any{"v1": v1, "v2": v2} {
		t.Run(name, func(t *testing.T) {
			tok := k.sign(t, c)
			e.token = tok
			r := e.do("POST", "/api/ve/v1/PerformAction", map[string]any{"ActionName": "WhoAmI"}).want(t, 200).json(t)
			if who := r["Results"].(map[string]any); who["app"] != client || who["tid"] != tid || who["oid"] != sp {
				t.Errorf("the principal is %v, want app %s, tid %s, oid %s", who, client, tid, sp)
			}
			logged := false
			for _, l := range logs.lines("request") {
				logged = logged || l["app"] == client && l["tid"] == tid && l["oid"] == sp
			}
			if !logged {
				t.Errorf("no request log line names the caller: %v", logs.lines("request"))
			}
			got, err := verifier.Verify(tok)
			if err != nil || got.Tenant != tid || got.ObjectID != sp || got.Version != c["ver"] || got.Issuer != c["iss"] {
				t.Errorf("claims %+v, %v", got, err)
			}
			for what, over := range map[string]map[string]any{
				"another tenant":      {"tid": "11111111-2222-4333-8444-555555555555"},
				"no tenant":           {"tid": nil},
				"another audience":    {"aud": "00000003-0000-0000-c000-000000000000"}, // Microsoft Graph
				"another issuer":      {"iss": "https://sts.windows.net/11111111-2222-4333-8444-555555555555/"},
				"the other version":   {"iss": "https://login.microsoftonline.com/" + tid + "/"},
				"no application role": {"roles": []string{"Reader"}},
				"a user's token":      {"scp": "user_impersonation", "oid": "5b5e0000-0000-4000-8000-0000000000aa"},
			} {
				e.token = k.sign(t, with(c, over))
				code, ve := 401, "VE6001"
				if what == "no application role" || what == "a user's token" {
					code, ve = 403, "VE6002"
				}
				e.do("POST", "/api/ve/v1/PerformAction", map[string]any{"ActionName": "WhoAmI"}).wantError(t, code, "", ve)
			}
		})
	}
	// The tenant check compares GUIDs case-insensitively.
	verifier.Tenant = strings.ToUpper(tid)
	if _, err := verifier.Verify(k.sign(t, with(v2, map[string]any{"jti": "upper"}))); err != nil {
		t.Error(err)
	}
}

// TestJWTSkewIsBounded: a configured skew above MaxClockSkew counts as
// MaxClockSkew.
func TestJWTSkewIsBounded(t *testing.T) {
	now := time.Now()
	v := testVerifier()
	v.Skew, v.Now = time.Hour, func() time.Time { return now }
	within := hs256(t, claims(map[string]any{"exp": now.Add(-server.MaxClockSkew + time.Second).Unix()}))
	beyond := hs256(t, claims(map[string]any{"exp": now.Add(-server.MaxClockSkew - time.Second).Unix()}))
	early := hs256(t, claims(map[string]any{"nbf": now.Add(server.MaxClockSkew + time.Second).Unix()}))
	if _, err := v.Verify(within); err != nil {
		t.Errorf("within the bound: %v", err)
	}
	for name, tok := range map[string]string{"expired beyond the bound": beyond, "not yet valid beyond the bound": early} {
		if _, err := v.Verify(tok); diag.CodeOf(err) != diag.Unauthenticated {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzVerify: any string, as a token, is either verified or refused with
// VE6001, never a panic, and what verifies carries the configured issuer.
func FuzzVerify(f *testing.F) {
	k := newRSAKey(f, "k")
	v := &server.JWTVerifier{Issuers: []string{testIssuer}, Audiences: []string{testAudience}, Secret: []byte(testSecret),
		Keys: map[string]any{"k": k.priv.Public()}}
	for _, seed := range []string{
		hs256(f, claims(nil)), k.sign(f, claims(nil)), signingInput(f, "none", claims(nil)) + ".",
		"a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9.e30.", "eyJhbGciOiJSUzI1NiIsImtpZCI6W119.e30.AA",
		hs256(f, claims(map[string]any{"exp": "soon", "aud": 7})),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := v.Verify(token)
		if err != nil {
			if diag.CodeOf(err) != diag.Unauthenticated {
				t.Fatalf("%q: %v", token, err)
			}
			return
		}
		if c == nil || c.Issuer != testIssuer {
			t.Fatalf("%q verified as %+v", token, c)
		}
	})
}

// TestNewChecksTheVerifier: New refuses empty issuers or audiences and
// static keys too weak for RS256/ES256; a JWKS alone is a key source.
func TestNewChecksTheVerifier(t *testing.T) {
	f := fixtures(t)[0]
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for name, v := range map[string]*server.JWTVerifier{
		"an empty issuer":   {Issuers: []string{testIssuer, ""}, Audiences: []string{testAudience}, Secret: []byte(testSecret)},
		"an empty audience": {Issuers: []string{testIssuer}, Audiences: []string{""}, Secret: []byte(testSecret)},
		"a 1024-bit key":    {Issuers: []string{testIssuer}, Audiences: []string{testAudience}, Keys: map[string]any{"k": &small.PublicKey}},
		"a P-384 key":       {Issuers: []string{testIssuer}, Audiences: []string{testAudience}, Keys: map[string]any{"k": &p384.PublicKey}},
		"a secret as a key": {Issuers: []string{testIssuer}, Audiences: []string{testAudience}, Keys: map[string]any{"k": []byte(testSecret)}},
	} {
		if _, err := server.New(server.Config{DB: f.db, Catalog: f.cat, Auth: v, Users: testUsers(), Insecure: true}); diag.CodeOf(err) != diag.BadFlag {
			t.Errorf("%s: %v", name, err)
		}
	}
	remote := &server.JWTVerifier{Issuers: []string{testIssuer}, Audiences: []string{testAudience}, Remote: &server.RemoteKeys{URL: "https://login.example.com/keys"}}
	if _, err := server.New(server.Config{DB: f.db, Catalog: f.cat, Auth: remote, Users: testUsers(), Insecure: true}); err != nil {
		t.Errorf("a JWKS verifier: %v", err)
	}
}
