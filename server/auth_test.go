package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/ast"
	"github.com/vecompile/vecompile/internal/diag"
	"github.com/vecompile/vecompile/parse/fetchxml"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/server"
)

type astQuery = ast.Query

func fetch(t *testing.T, src string) *ast.Query {
	t.Helper()
	q, err := fetchxml.Parse(diag.NewSource("test.xml", []byte(src)))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestJWT(t *testing.T) {
	f := fixtures(t)[0]
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherRSA, _ := rsa.GenerateKey(rand.Reader, 2048)
	// Public keys go through the PEM reader serve uses.
	der, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	rsaPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	rsaPub, err := server.ParsePublicKeyPEM(rsaPEM)
	if err != nil {
		t.Fatal(err)
	}
	der, _ = x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	ecPub, err := server.ParsePublicKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, f, func(c *server.Config) {
		c.Auth.Keys = map[string]any{"rsa": rsaPub, "ec": ecPub}
	})
	retrieve := map[string]any{"EntityName": "account", "Id": contoso, "ColumnSet": map[string]any{"Columns": []string{"name"}}}
	call := func(token string, hdr ...string) *response {
		e.token = token
		return e.do("POST", "/api/ve/v1/Retrieve", retrieve, hdr...)
	}
	// Accepted: HS256, RS256, ES256; aud as an array; skew within bounds.
	call(hs256(t, claims(nil))).want(t, 200)
	call(rs256(t, rsaKey, claims(nil))).want(t, 200)
	call(es256(t, ecKey, claims(nil))).want(t, 200)
	call(hs256(t, claims(map[string]any{"aud": []string{"other", testAudience}}))).want(t, 200)
	call(hs256(t, claims(map[string]any{"exp": time.Now().Add(-30 * time.Second).Unix()}))).want(t, 200) // within 60 s skew

	for _, c := range []struct {
		name  string
		token string
		code  int
		ve    string
	}{
		{"no token", "", 401, "VE6001"},
		{"not a JWT", "abc.def", 401, "VE6001"},
		{"expired", hs256(t, claims(map[string]any{"exp": time.Now().Add(-2 * time.Hour).Unix()})), 401, "VE6001"},
		{"no exp", hs256(t, claims(map[string]any{"exp": nil})), 401, "VE6001"},
		{"not yet valid", hs256(t, claims(map[string]any{"nbf": time.Now().Add(time.Hour).Unix()})), 401, "VE6001"},
		{"wrong audience", hs256(t, claims(map[string]any{"aud": "api://someone-else"})), 401, "VE6001"},
		{"no audience", hs256(t, claims(map[string]any{"aud": nil})), 401, "VE6001"},
		{"wrong issuer", hs256(t, claims(map[string]any{"iss": "https://evil.example.com"})), 401, "VE6001"},
		{"bad signature", hs256(t, claims(nil))[:len(hs256(t, claims(nil)))-4] + "AAAA", 401, "VE6001"},
		{"other RSA key", rs256(t, otherRSA, claims(nil)), 401, "VE6001"},
		{"alg none", signingInput(t, "none", claims(nil)) + ".", 401, "VE6001"},
		{"alg none with a signature", hmacSigned(t, "none", []byte(testSecret), claims(nil)), 401, "VE6001"},
		// Algorithm confusion: the RSA public key (which is no secret) used
		// as an HMAC key, and an RSA signature sent as HS256.
		{"HS256 keyed with the public key", hmacSigned(t, "HS256", rsaPEM, claims(nil)), 401, "VE6001"},
		{"HS256 keyed with the EC key's DER", hmacSigned(t, "HS256", der, claims(nil)), 401, "VE6001"},
		{"RS256 signature named HS256", "eyJhbGciOiJIUzI1NiJ9" + rs256(t, rsaKey, claims(nil))[strings.Index(rs256(t, rsaKey, claims(nil)), "."):], 401, "VE6001"},
		{"ES256 signature named RS256", "eyJhbGciOiJSUzI1NiJ9" + es256(t, ecKey, claims(nil))[strings.Index(es256(t, ecKey, claims(nil)), "."):], 401, "VE6001"},
		{"HS384", hmacSigned(t, "HS384", []byte(testSecret), claims(nil)), 401, "VE6001"},
		{"lower-case alg", hmacSigned(t, "hs256", []byte(testSecret), claims(nil)), 401, "VE6001"},
		{"missing role", hs256(t, claims(map[string]any{"roles": []string{"reader"}})), 403, "VE6002"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := call(c.token)
			r.wantError(t, c.code, "", c.ve)
			if c.code == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	good := hs256(t, claims(nil))
	// The acting user: mapped by user id, by directory object id; refused
	// when unmapped, when two headers are given, or when absent (anonymous
	// off).
	call(good, server.HeaderUserID, "").wantError(t, 403, "0x80040220", "VE6002")
	call(good, server.HeaderUserID, "aa000000-0000-4000-8000-0000000000ee").wantError(t, 403, "", "VE6002")
	call(good, server.HeaderUserID, "", server.HeaderObjectID, userObjID).want(t, 200)
	call(good, server.HeaderObjectID, userObjID).wantError(t, 403, "", "VE6002") // with the user id header too
	call(good, server.HeaderUserID, "", server.HeaderContact, contactID).want(t, 200)
	call(good, server.HeaderUserID, "", server.HeaderContact, "c0000000-0000-4000-8000-0000000000ee").wantError(t, 403, "", "VE6002")
	// The HS256 path is refused when no secret is configured.
	e2 := newEnv(t, f, func(c *server.Config) {
		c.Auth = &server.JWTVerifier{Issuers: []string{testIssuer}, Audiences: []string{testAudience}, Keys: map[string]any{"rsa": rsaPub}}
	})
	e2.token = hs256(t, claims(nil))
	e2.do("POST", "/api/ve/v1/Retrieve", retrieve).wantError(t, 401, "", "VE6001")
	// The catalog and OData need the role too.
	e.token = hs256(t, claims(map[string]any{"roles": nil}))
	e.do("GET", "/api/ve/v1/catalog", nil).wantError(t, 403, "", "VE6002")
	e.do("GET", "/odata/$metadata", nil).wantError(t, 403, "", "VE6002")
}

// recordingSecurity is a stand-in for package security: accounts are
// readable when owned by the acting user; writes are refused for portal
// contacts; anonymous sees nothing.
type recordingSecurity struct{ principals []*server.Principal }

type ownerFilter struct{ user string }

func (o ownerFilter) RowFilter(t *plan.Table) (*ast.Filter, []string, error) {
	if o.user == "" {
		return nil, nil, nil
	}
	if t.LogicalName != "account" {
		return &ast.Filter{}, []string{"all"}, nil
	}
	return &ast.Filter{Items: []ast.FilterItem{&ast.Condition{Attribute: ast.Name{Text: "ownerid"}, Operator: ast.OpEq, Values: []*ast.Value{{Text: o.user}}}}}, []string{"owner"}, nil
}

func (s *recordingSecurity) Rows(_ context.Context, p *server.Principal) (plan.SecurityProvider, error) {
	s.principals = append(s.principals, p)
	if p.Kind == server.PortalContact || p.Kind == server.Anonymous {
		return ownerFilter{}, nil
	}
	return ownerFilter{user: p.BackendID}, nil
}

func (s *recordingSecurity) CheckWrite(_ context.Context, p *server.Principal, w *server.WriteRequest) error {
	if p.Kind != server.DataverseUser {
		return diag.ErrorList{&diag.Error{Code: diag.MissingPrivilege, Msg: "no create privilege"}}.Err()
	}
	return nil
}

func TestSecuritySeam(t *testing.T) {
	f := fixtures(t)[0]
	if _, err := server.New(server.Config{DB: f.db, Catalog: f.cat, Auth: testVerifier(), Users: testUsers()}); diag.CodeOf(err) != diag.NoSecurityModel {
		t.Fatalf("a server without a security model and without Insecure: %v", err)
	}
	sec := &recordingSecurity{}
	e := newEnv(t, f, func(c *server.Config) { c.Security, c.Insecure, c.AllowAnonymous = sec, false, true })
	e.user = ownerID
	// The manager owns no account directly in the sample but rows of
	// other owners are filtered out: every returned row is the user's.
	m := e.do("POST", "/api/ve/v1/RetrieveMultiple", `<fetch><entity name="account"><attribute name="ownerid"/></entity></fetch>`).want(t, 200).json(t)
	owned := entities(t, m)
	if len(owned) != 5 {
		t.Fatalf("the user owns 5 accounts, got %d", len(owned))
	}
	for _, x := range owned {
		if refID(attr(x, "ownerid")) != ownerID {
			t.Errorf("row of another owner returned: %v", x)
		}
	}
	// One request asks for its rows' security once per query, and once
	// more for the column security of its EntityReferences' names.
	if len(sec.principals) == 0 {
		t.Errorf("the security model was not asked")
	}
	for _, p := range sec.principals {
		if p != sec.principals[0] || p.Caller == nil || p.Caller.BusinessUnitID == "" {
			t.Errorf("the security model did not get the principal with its caller context: %+v", sec.principals)
		}
	}
	// Contoso Pharmaceuticals exists but is not the user's: Retrieve says
	// 403, as Dataverse's access check does; Contoso Ltd is.
	e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "account", "Id": "acc00000-0000-4000-8000-000000000002"}).wantError(t, 403, "0x80040220", "VE3003")
	e.do("POST", "/api/ve/v1/Retrieve", map[string]any{"EntityName": "account", "Id": contoso}).want(t, 200)
	// Anonymous and portal principals reach the model, which denies.
	m = e.do("POST", "/api/ve/v1/RetrieveMultiple", `<fetch><entity name="account"><attribute name="name"/></entity></fetch>`, server.HeaderUserID, "").want(t, 200).json(t)
	if len(entities(t, m)) != 0 || sec.principals[len(sec.principals)-1].Kind != server.Anonymous {
		t.Errorf("anonymous: %v", m)
	}
	e.do("POST", "/api/ve/v1/Create", map[string]any{"Target": map[string]any{"LogicalName": "account", "Attributes": map[string]any{"name": "x"}}},
		server.HeaderUserID, "", server.HeaderContact, contactID).wantError(t, 403, "0x80040220", "VE3003")
}

// TestJWTCacheKeepsCheckingTheClock: a verified token is cached, but its
// expiry is checked on every use.
func TestJWTCacheKeepsCheckingTheClock(t *testing.T) {
	now := time.Now()
	v := testVerifier()
	v.Now = func() time.Time { return now }
	tok := hs256(t, claims(map[string]any{"exp": now.Add(10 * time.Minute).Unix()}))
	if _, err := v.Verify(tok); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(tok); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if _, err := v.Verify(tok); diag.CodeOf(err) != diag.Unauthenticated {
		t.Errorf("an expired cached token was accepted: %v", err)
	}
	// A tampered variant of a cached token is not a cache hit.
	if _, err := v.Verify(tok + "x"); diag.CodeOf(err) != diag.Unauthenticated {
		t.Errorf("tampered token: %v", err)
	}
}

// TestTableDirectory: acting users mapped through a table of the backend.
func TestTableDirectory(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			ctx := context.Background()
			table := tablePrefix(f) + "usermap"
			for _, q := range []string{
				`CREATE TABLE ` + table + ` (kind VARCHAR(10), external_id VARCHAR(64), backend_id VARCHAR(64))`,
				`INSERT INTO ` + table + ` VALUES ('objectid', '` + userObjID + `', '` + ownerID + `'), ('contact', 'portal-1', '` + contactID + `')`,
			} {
				if _, err := f.db.SQL.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			defer f.db.SQL.ExecContext(ctx, `DROP TABLE `+table)
			e := newEnv(t, f, func(c *server.Config) {
				c.Users = &server.TableDirectory{DB: f.db, Table: table, KindCol: "kind", ExternalCol: "external_id", IDCol: "backend_id"}
			})
			e.user = ""
			e.srv.RegisterAction(&server.Action{Name: "WhoAmI", Run: func(_ context.Context, c *server.ActionCall) (map[string]any, error) {
				return map[string]any{"kind": c.Principal.Kind.String(), "id": c.Principal.BackendID}, nil
			}})
			who := func(hdr ...string) map[string]any {
				return e.do("POST", "/api/ve/v1/PerformAction", map[string]any{"ActionName": "WhoAmI"}, hdr...).want(t, 200).json(t)["Results"].(map[string]any)
			}
			if m := who(server.HeaderObjectID, "5B5E0000-0000-4000-8000-0000000000AA"); m["kind"] != "objectid" || m["id"] != ownerID {
				t.Errorf("object id: %v", m)
			}
			if m := who(server.HeaderContact, "portal-1"); m["kind"] != "contact" || m["id"] != contactID {
				t.Errorf("contact: %v", m)
			}
			e.do("POST", "/api/ve/v1/PerformAction", map[string]any{"ActionName": "WhoAmI"}, server.HeaderObjectID, "' OR 1=1 --").wantError(t, 403, "", "VE6002")
			e.do("POST", "/api/ve/v1/PerformAction", map[string]any{"ActionName": "WhoAmI"}, server.HeaderUserID, ownerID).wantError(t, 403, "", "VE6002")
		})
	}
}

func TestNewRefusesAnIncompleteVerifier(t *testing.T) {
	f := fixtures(t)[0]
	for _, v := range []*server.JWTVerifier{
		{Audiences: []string{testAudience}, Secret: []byte(testSecret)},
		{Issuers: []string{testIssuer}, Secret: []byte(testSecret)},
		{Issuers: []string{testIssuer}, Audiences: []string{testAudience}},
	} {
		if _, err := server.New(server.Config{DB: f.db, Catalog: f.cat, Auth: v, Users: testUsers(), Insecure: true}); diag.CodeOf(err) != diag.BadFlag {
			t.Errorf("%+v: %v", v, err)
		}
	}
}
