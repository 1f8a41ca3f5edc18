package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/vecompile/vecompile/internal/diag"
)

// MaxClockSkew bounds JWTVerifier.Skew.
const MaxClockSkew = 5 * time.Minute

// DefaultAdapterRole is the application role that reaches the adapter
// endpoints.
const DefaultAdapterRole = "vecompile.adapter"

// acceptedAlgs are the only JWS algorithms a token may name; anything
// else ("none", HS384, PS256, …) is refused before a key is chosen.
var acceptedAlgs = []jose.SignatureAlgorithm{jose.HS256, jose.RS256, jose.ES256}

// JWTVerifier checks bearer tokens: HS256 with a shared secret, RS256 and
// ES256 (P-256) with public keys, static (Keys) or published by the
// identity provider (Remote). Parsing and signature checks are go-jose's;
// the key is chosen by the token's algorithm, so an HS256 token is only
// ever checked against the secret and an RS256/ES256 one against public
// keys of that type ("none" and algorithm confusion are refused). iss must
// be one of Issuers, aud must name one of Audiences, tid must be Tenant
// when set; exp is required and nbf honoured, both within Skew.
type JWTVerifier struct {
	Issuers   []string
	Audiences []string
	Secret    []byte         // HS256
	Keys      map[string]any // static RS256/ES256 public keys by kid ("" matches any kid)
	// Remote is a JWKS fetched from the identity provider (nil: none).
	Remote *RemoteKeys
	// Tenant, when set, is the Entra tenant id the tid claim must hold.
	Tenant string
	Skew   time.Duration    // default 60 s, at most MaxClockSkew
	Role   string           // default DefaultAdapterRole
	Now    func() time.Time // default time.Now

	// cache holds verified tokens: the signature and the static claims
	// are checked once per token, the clock on every use.
	cache atomic.Pointer[tokenCache]
}

type tokenCache struct {
	mu sync.Mutex
	m  map[string]cachedToken
}

// cachedToken is a verified token; a token verified by a remote key
// records the key set's generation and is verified again once the set
// has changed (a removed key stops verifying at once, not at exp).
type cachedToken struct {
	claims *Claims
	gen    uint64 // 0: verified by the secret or a static key
}

// maxCachedTokens bounds the cache; when full it is emptied, not grown.
const maxCachedTokens = 4096

// maxTokenLen bounds a token before it is parsed.
const maxTokenLen = 16 << 10

// Claims are the parts of a verified token the server uses.
type Claims struct {
	Issuer  string
	Subject string
	// App is the calling application: azp (Entra v2), appid (Entra v1),
	// else sub.
	App   string
	Roles []string
	// Tenant (tid) and ObjectID (oid) are Entra's: the directory and the
	// caller's object in it (the service principal for an application).
	Tenant   string
	ObjectID string
	Version  string // ver: "1.0" or "2.0" for Entra tokens
	// Delegated says the token is an Entra token issued to a user
	// through an application (it has tid and scp), not to the
	// application itself.
	Delegated bool
	Expires   time.Time
	NotBefore time.Time // zero when the token has no nbf
}

// HasRole reports whether the token carries the role.
func (c *Claims) HasRole(role string) bool { return slices.Contains(c.Roles, role) }

// ParsePublicKeyPEM reads an RSA or ECDSA P-256 public key (PKIX "PUBLIC
// KEY", PKCS#1 "RSA PUBLIC KEY" or a certificate) for JWTVerifier.Keys.
func ParsePublicKeyPEM(data []byte) (any, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	var (
		key any
		err error
	)
	switch block.Type {
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			key = cert.PublicKey
		}
	default:
		return nil, fmt.Errorf("PEM block %q is not a public key", block.Type)
	}
	if err != nil {
		return nil, err
	}
	return checkPublicKey(key)
}

// checkPublicKey accepts RSA keys of at least 2048 bits and P-256 ECDSA
// keys, the keys of RS256 and ES256.
func checkPublicKey(key any) (any, error) {
	switch k := key.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, errors.New("RSA keys must have at least 2048 bits")
		}
		return k, nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, errors.New("ES256 needs a P-256 key")
		}
		return k, nil
	}
	return nil, fmt.Errorf("unsupported public key type %T", key)
}

// keyAlg is the JWS algorithm a public key verifies.
func keyAlg(key any) jose.SignatureAlgorithm {
	switch key.(type) {
	case *rsa.PublicKey:
		return jose.RS256
	case *ecdsa.PublicKey:
		return jose.ES256
	}
	return ""
}

// Verify checks a compact JWS token and returns its claims; every failure
// is an Unauthenticated error whose message says what failed (never the
// token).
func (v *JWTVerifier) Verify(token string) (*Claims, error) {
	tc := v.cache.Load()
	if tc == nil {
		v.cache.CompareAndSwap(nil, &tokenCache{m: map[string]cachedToken{}})
		tc = v.cache.Load()
	}
	tc.mu.Lock()
	ct, ok := tc.m[token]
	tc.mu.Unlock()
	if ok && ct.gen != 0 {
		// A token verified by a remote key keeps the key set fresh too.
		v.Remote.refreshIfStale(v.Remote.set.Load())
	}
	if !ok || ct.gen != 0 && ct.gen != v.Remote.generation() {
		var err error
		if ct, err = v.verify(token); err != nil {
			return nil, err
		}
		tc.mu.Lock()
		if len(tc.m) >= maxCachedTokens {
			clear(tc.m)
		}
		tc.m[token] = ct
		tc.mu.Unlock()
	}
	if err := v.checkTime(ct.claims); err != nil {
		return nil, err
	}
	return ct.claims, nil
}

// verify checks the signature and the static claims.
func (v *JWTVerifier) verify(token string) (cachedToken, error) {
	if len(token) > maxTokenLen {
		return cachedToken{}, authErr("the token is too long")
	}
	jws, err := jose.ParseSignedCompact(token, acceptedAlgs)
	if err != nil {
		return cachedToken{}, authErr("the token is not a compact JWS signed with HS256, RS256 or ES256 (%s)", strings.TrimPrefix(err.Error(), "go-jose/go-jose: "))
	}
	payload, gen, err := v.checkSignature(jws)
	if err != nil {
		return cachedToken{}, err
	}
	c, err := v.checkClaims(payload)
	if err != nil {
		return cachedToken{}, err
	}
	return cachedToken{claims: c, gen: gen}, nil
}

// checkSignature verifies the token with the keys of its algorithm and
// returns the verified payload, with the remote key set's generation when
// a remote key verified it.
func (v *JWTVerifier) checkSignature(jws *jose.JSONWebSignature) ([]byte, uint64, error) {
	h := jws.Signatures[0].Protected
	alg := jose.SignatureAlgorithm(h.Algorithm)
	if alg == jose.HS256 {
		if len(v.Secret) == 0 {
			return nil, 0, authErr("HS256 tokens are not accepted (no shared secret configured)")
		}
		payload, err := jws.Verify(v.Secret)
		if err != nil {
			return nil, 0, authErr("bad token signature")
		}
		return payload, 0, nil
	}
	for kid, key := range v.Keys {
		if kid != "" && h.KeyID != "" && kid != h.KeyID || keyAlg(key) != alg {
			continue
		}
		if payload, err := jws.Verify(key); err == nil {
			return payload, 0, nil
		}
	}
	if v.Remote != nil {
		keys, gen := v.Remote.lookup(h.KeyID)
		for _, k := range keys {
			if k.alg != alg {
				continue
			}
			if payload, err := jws.Verify(k.key); err == nil {
				return payload, gen, nil
			}
		}
		if h.KeyID != "" && len(keys) == 0 {
			return nil, 0, authErr("no %s key with kid %q (not in the identity provider's key set, %s)", alg, h.KeyID, v.Remote.state())
		}
	}
	return nil, 0, authErr("bad token signature (no configured %s key verifies it)", alg)
}

func (v *JWTVerifier) checkClaims(payload []byte) (*Claims, error) {
	var c struct {
		Iss   string           `json:"iss"`
		Sub   string           `json:"sub"`
		Aud   jwt.Audience     `json:"aud"`
		Exp   *jwt.NumericDate `json:"exp"`
		Nbf   *jwt.NumericDate `json:"nbf"`
		Azp   string           `json:"azp"`
		AppID string           `json:"appid"`
		Roles []string         `json:"roles"`
		Tid   string           `json:"tid"`
		Oid   string           `json:"oid"`
		Ver   string           `json:"ver"`
		Scp   *string          `json:"scp"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, authErr("the token claims are not a JSON object of the expected shape")
	}
	if c.Iss == "" || !slices.Contains(v.Issuers, c.Iss) {
		return nil, authErr("token issuer %q is not a configured issuer", c.Iss)
	}
	if !slices.ContainsFunc(v.Audiences, func(a string) bool { return a != "" && c.Aud.Contains(a) }) {
		return nil, authErr("the token is not for this audience")
	}
	if v.Tenant != "" && !strings.EqualFold(c.Tid, v.Tenant) {
		return nil, authErr("the token's tenant (tid %q) is not the configured tenant", c.Tid)
	}
	if c.Exp == nil {
		return nil, authErr("the token has no expiry (exp)")
	}
	app := c.Azp
	if app == "" {
		app = c.AppID
	}
	if app == "" {
		app = c.Sub
	}
	out := &Claims{Issuer: c.Iss, Subject: c.Sub, App: app, Roles: c.Roles, Tenant: c.Tid, ObjectID: c.Oid, Version: c.Ver, Delegated: c.Tid != "" && c.Scp != nil, Expires: c.Exp.Time()}
	if c.Nbf != nil {
		out.NotBefore = c.Nbf.Time()
	}
	return out, nil
}

// checkTime checks exp and nbf against the clock, within the skew.
func (v *JWTVerifier) checkTime(c *Claims) error {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	skew := v.Skew
	if skew <= 0 {
		skew = time.Minute
	}
	skew = min(skew, MaxClockSkew)
	t := now()
	if t.After(c.Expires.Add(skew)) {
		return authErr("the token expired at %s", c.Expires.UTC().Format(time.RFC3339))
	}
	if !c.NotBefore.IsZero() && t.Add(skew).Before(c.NotBefore) {
		return authErr("the token is not valid before %s", c.NotBefore.UTC().Format(time.RFC3339))
	}
	return nil
}

// check reports what makes the verifier unusable, for New.
func (v *JWTVerifier) check() error {
	switch {
	case len(v.Issuers) == 0 || slices.Contains(v.Issuers, ""):
		return configError(diag.BadFlag, "the token verifier needs the issuer(s) to accept, none empty")
	case len(v.Audiences) == 0 || slices.Contains(v.Audiences, ""):
		return configError(diag.BadFlag, "the token verifier needs the audience(s) to accept, none empty")
	case len(v.Secret) == 0 && len(v.Keys) == 0 && v.Remote == nil:
		return configError(diag.BadFlag, "the token verifier has no keys (an HS256 secret, RS256/ES256 public keys or a JWKS URL)")
	}
	for kid, k := range v.Keys {
		if _, err := checkPublicKey(k); err != nil {
			return configError(diag.BadFlag, "token key %q: %v", kid, err)
		}
	}
	return nil
}

func authErr(format string, args ...any) error {
	return diag.ErrorList{&diag.Error{Code: diag.Unauthenticated, Msg: fmt.Sprintf(format, args...)}}.Err()
}
