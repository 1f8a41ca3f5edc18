package server_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/internal/testkit"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/server"
)

const (
	testIssuer   = "https://login.example.com/tenant/v2.0"
	testAudience = "api://vecompile-test"
	testSecret   = "0123456789abcdef0123456789abcdef-test-secret"
	// Sample users: a manager and a salesperson.
	managerID = "aa000000-0000-4000-8000-000000000002"
	userObjID = "5b5e0000-0000-4000-8000-0000000000aa"
	ownerID   = "aa000000-0000-4000-8000-000000000004" // owns Contoso Ltd and four more accounts
	contactID = "c0000000-0000-4000-8000-000000000001"
)

// fixture is one backend: the sample on SQLite, or on PostgreSQL with a
// per-run table prefix.
type fixture struct {
	name string
	db   *engine.DB
	cat  plan.Catalog
}

// fixtures returns the SQLite sample and, when configured, PostgreSQL.
func fixtures(t *testing.T) []fixture {
	t.Helper()
	ctx := context.Background()
	db, cat, err := engine.OpenSample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	out := []fixture{{"sqlite", db, cat}}
	engines := testkit.OptionalEngines(t)
	for _, name := range []string{"postgres", "mysql"} {
		dsn, ok := engines[name]
		if !ok {
			continue
		}
		edb, err := engine.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		prefix := fmt.Sprintf("srv%d_", os.Getpid())
		ecat, err := engine.LoadFixture(ctx, edb, prefix)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			engine.DropFixture(context.Background(), edb, prefix)
			edb.Close()
		})
		out = append(out, fixture{name, edb, ecat})
	}
	return out
}

// env is a listening server and a client for it.
type env struct {
	t     *testing.T
	srv   *server.Server
	http  *httptest.Server
	token string
	user  string // X-VE-User-Id of requests, "" for none
}

func testVerifier() *server.JWTVerifier {
	return &server.JWTVerifier{Issuers: []string{testIssuer}, Audiences: []string{testAudience}, Secret: []byte(testSecret)}
}

func testUsers() server.MapDirectory {
	return server.MapDirectory{
		server.DataverseUser: {managerID: managerID, ownerID: ownerID},
		server.DirectoryUser: {userObjID: managerID},
		server.PortalContact: {contactID: contactID},
	}
}

func newEnv(t *testing.T, f fixture, edit func(*server.Config)) *env {
	t.Helper()
	cfg := server.Config{DB: f.db, Catalog: f.cat, Auth: testVerifier(), Users: testUsers(), Insecure: true, PagingKey: []byte("paging-key-for-tests")}
	if edit != nil {
		edit(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &env{t: t, srv: srv, http: hs, token: hs256(t, claims(nil)), user: managerID}
}

// claims are valid claims for the test verifier, with overrides.
func claims(over map[string]any) map[string]any {
	c := map[string]any{
		"iss": testIssuer, "aud": testAudience, "sub": "app-1", "azp": "app-1",
		"exp": time.Now().Add(time.Hour).Unix(), "nbf": time.Now().Add(-time.Minute).Unix(),
		"roles": []string{server.DefaultAdapterRole},
	}
	for k, v := range over {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func signingInput(t testing.TB, alg string, c map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": alg, "typ": "JWT"})
	p, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return b64(h) + "." + b64(p)
}

func hs256(t testing.TB, c map[string]any) string {
	return hmacSigned(t, "HS256", []byte(testSecret), c)
}

// hmacSigned is a token whose header names alg, with an HMAC-SHA256
// signature under secret.
func hmacSigned(t testing.TB, alg string, secret []byte, c map[string]any) string {
	in := signingInput(t, alg, c)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + b64(m.Sum(nil))
}

func rs256(t testing.TB, k *rsa.PrivateKey, c map[string]any) string {
	in := signingInput(t, "RS256", c)
	d := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + b64(sig)
}

func es256(t testing.TB, k *ecdsa.PrivateKey, c map[string]any) string {
	in := signingInput(t, "ES256", c)
	d := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, k, d[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return in + "." + b64(sig)
}

// response is a decoded reply.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r *response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("status %d, body is not a JSON object: %v\n%s", r.status, err, r.body)
	}
	return m
}

// errCode returns the Dataverse hex code and the vecompile code of an error
// body.
func (r *response) errCode(t *testing.T) (string, string) {
	t.Helper()
	m := r.json(t)
	e, ok := m["error"].(map[string]any)
	if !ok {
		t.Fatalf("status %d without an error body: %s", r.status, r.body)
	}
	hex, _ := e["code"].(string)
	ve, _ := e["vecode"].(string)
	return hex, ve
}

func (e *env) do(method, path string, body any, hdr ...string) *response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.http.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	if e.user != "" {
		req.Header.Set(server.HeaderUserID, e.user)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	res, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return &response{status: res.StatusCode, header: res.Header, body: b}
}

// want fails unless the response has the status.
func (r *response) want(t *testing.T, status int) *response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	return r
}

// wantError checks an error reply's status and codes.
func (r *response) wantError(t *testing.T, status int, hex, ve string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	gotHex, gotVE := r.errCode(t)
	if (hex != "" && gotHex != hex) || (ve != "" && gotVE != ve) {
		t.Fatalf("error codes %s/%s, want %s/%s: %s", gotHex, gotVE, hex, ve, r.body)
	}
}

// entities returns the Entities of an EntityCollection reply.
func entities(t *testing.T, m map[string]any) []map[string]any {
	t.Helper()
	list, ok := m["Entities"].([]any)
	if !ok {
		t.Fatalf("no Entities: %v", m)
	}
	out := make([]map[string]any, len(list))
	for i, e := range list {
		out[i] = e.(map[string]any)
	}
	return out
}

func attr(e map[string]any, name string) any {
	a, _ := e["Attributes"].(map[string]any)
	return a[name]
}

// benchFixtures is fixtures for benchmarks.
func benchFixtures(b *testing.B) []fixture {
	ctx := context.Background()
	db, cat, err := engine.OpenSample(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	out := []fixture{{"sqlite", db, cat}}
	if dsn := os.Getenv(testkit.PostgresEnv); dsn != "" {
		pdb, err := engine.Open(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		prefix := fmt.Sprintf("srvb%d_", os.Getpid())
		pcat, err := engine.LoadFixture(ctx, pdb, prefix)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			engine.DropFixture(context.Background(), pdb, prefix)
			pdb.Close()
		})
		out = append(out, fixture{"postgres", pdb, pcat})
	}
	return out
}

func newBenchEnv(b *testing.B, f fixture) *env {
	srv, err := server.New(server.Config{DB: f.db, Catalog: f.cat, Auth: testVerifier(), Users: testUsers(), Insecure: true})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	b.Cleanup(hs.Close)
	tok := hs256Bench(claims(nil))
	return &env{srv: srv, http: hs, token: tok, user: managerID}
}

func hs256Bench(c map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT"})
	p, _ := json.Marshal(c)
	in := b64(h) + "." + b64(p)
	m := hmac.New(sha256.New, []byte(testSecret))
	m.Write([]byte(in))
	return in + "." + b64(m.Sum(nil))
}

// refID is the id of an SDK EntityReference result value ({"Id": …}).
func refID(v any) string {
	if m, ok := v.(map[string]any); ok {
		s, _ := m["Id"].(string)
		return s
	}
	return ""
}

// nextLink is the request URI of a collection answer's @odata.nextLink,
// "" when it has none (the last page).
func nextLink(t *testing.T, m map[string]any) string {
	t.Helper()
	n, ok := m["@odata.nextLink"].(string)
	if !ok {
		return ""
	}
	u, err := url.Parse(n)
	if err != nil {
		t.Fatal(err)
	}
	return u.RequestURI()
}
