package server

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vecompile/vecompile/internal/diag"
)

// MaxClockSkew bounds JWTVerifier.Skew.
const MaxClockSkew = 5 * time.Minute

// DefaultAdapterRole is the application role that reaches the adapter
// endpoints.
const DefaultAdapterRole = "vecompile.adapter"

// JWTVerifier checks bearer tokens: HS256 with a shared secret, RS256 and
// ES256 (P-256) with configured public keys. The algorithm must match a
// configured key ("none" and algorithm confusion are refused); iss and aud
// must match; exp is required and nbf honoured, both within Skew.
type JWTVerifier struct {
	Issuer   string
	Audience string
	Secret   []byte           // HS256
	Keys     map[string]any   // RS256/ES256 public keys by kid ("" matches any kid)
	Skew     time.Duration    // default 60 s, at most MaxClockSkew
	Role     string           // default DefaultAdapterRole
	Now      func() time.Time // default time.Now

	// cache holds verified tokens: the signature and the static claims
	// are checked once per token, the clock on every use.
	cache atomic.Pointer[tokenCache]
}

type tokenCache struct {
	mu sync.Mutex
	m  map[string]*Claims
}

// maxCachedTokens bounds the cache; when full it is emptied, not grown.
const maxCachedTokens = 4096

// Claims are the parts of a verified token the server uses.
type Claims struct {
	Subject   string
	App       string // azp, appid or sub: the calling application
	Roles     []string
	Expires   time.Time
	NotBefore time.Time // zero when the token has no nbf
}

// HasRole reports whether the token carries the role.
func (c *Claims) HasRole(role string) bool { return slices.Contains(c.Roles, role) }

// ParsePublicKeyPEM reads an RSA or ECDSA P-256 public key (PKIX "PUBLIC
// KEY" or PKCS#1 "RSA PUBLIC KEY") for JWTVerifier.Keys.
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

type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// Verify checks a compact JWS token and returns its claims; every failure
// is an Unauthenticated error whose message says what failed (never the
// token).
func (v *JWTVerifier) Verify(token string) (*Claims, error) {
	tc := v.cache.Load()
	if tc == nil {
		v.cache.CompareAndSwap(nil, &tokenCache{m: map[string]*Claims{}})
		tc = v.cache.Load()
	}
	tc.mu.Lock()
	c, ok := tc.m[token]
	tc.mu.Unlock()
	if !ok {
		var err error
		if c, err = v.verify(token); err != nil {
			return nil, err
		}
		tc.mu.Lock()
		if len(tc.m) >= maxCachedTokens {
			clear(tc.m)
		}
		tc.m[token] = c
		tc.mu.Unlock()
	}
	if err := v.checkTime(c); err != nil {
		return nil, err
	}
	return c, nil
}

// verify checks the signature and the static claims.
func (v *JWTVerifier) verify(token string) (*Claims, error) {
	if len(token) > 16<<10 {
		return nil, authErr("the token is too long")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, authErr("the token is not a compact JWS (three dot-separated parts)")
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, authErr("the token header is not base64url")
	}
	var h jwtHeader
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, authErr("the token header is not JSON")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, authErr("the token signature is not base64url")
	}
	signed := []byte(token[:len(parts[0])+1+len(parts[1])])
	if err := v.checkSignature(h, signed, sig); err != nil {
		return nil, err
	}
	pb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, authErr("the token payload is not base64url")
	}
	return v.checkClaims(pb)
}

func (v *JWTVerifier) checkSignature(h jwtHeader, signed, sig []byte) error {
	switch h.Alg {
	case "HS256":
		if len(v.Secret) == 0 {
			return authErr("HS256 tokens are not accepted (no shared secret configured)")
		}
		mac := hmac.New(sha256.New, v.Secret)
		mac.Write(signed)
		if !hmac.Equal(mac.Sum(nil), sig) {
			return authErr("bad token signature")
		}
		return nil
	case "RS256", "ES256":
		digest := sha256.Sum256(signed)
		for kid, key := range v.Keys {
			if kid != "" && h.Kid != "" && kid != h.Kid {
				continue
			}
			switch k := key.(type) {
			case *rsa.PublicKey:
				if h.Alg == "RS256" && rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], sig) == nil {
					return nil
				}
			case *ecdsa.PublicKey:
				// JWS ES256 signatures are r||s, 32 bytes each.
				if h.Alg == "ES256" && len(sig) == 64 {
					r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
					if ecdsa.Verify(k, digest[:], r, s) {
						return nil
					}
				}
			}
		}
		return authErr("bad token signature (no configured %s key verifies it)", h.Alg)
	}
	return authErr("token algorithm %q is not accepted (HS256, RS256, ES256)", h.Alg)
}

func (v *JWTVerifier) checkClaims(payload []byte) (*Claims, error) {
	var c struct {
		Iss   string          `json:"iss"`
		Sub   string          `json:"sub"`
		Aud   json.RawMessage `json:"aud"`
		Exp   *json.Number    `json:"exp"`
		Nbf   *json.Number    `json:"nbf"`
		Azp   string          `json:"azp"`
		AppID string          `json:"appid"`
		Roles []string        `json:"roles"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, authErr("the token claims are not a JSON object of the expected shape")
	}
	if c.Iss == "" || c.Iss != v.Issuer {
		return nil, authErr("token issuer %q is not the configured issuer", c.Iss)
	}
	if !audienceHas(c.Aud, v.Audience) {
		return nil, authErr("the token is not for this audience")
	}
	if c.Exp == nil {
		return nil, authErr("the token has no expiry (exp)")
	}
	exp, err := unixTime(*c.Exp)
	if err != nil {
		return nil, authErr("the token's exp is not a number")
	}
	var nbf time.Time
	if c.Nbf != nil {
		if nbf, err = unixTime(*c.Nbf); err != nil {
			return nil, authErr("the token's nbf is not a number")
		}
	}
	app := c.Azp
	if app == "" {
		app = c.AppID
	}
	if app == "" {
		app = c.Sub
	}
	return &Claims{Subject: c.Sub, App: app, Roles: c.Roles, Expires: exp, NotBefore: nbf}, nil
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

func unixTime(n json.Number) (time.Time, error) {
	f, err := n.Float64()
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(int64(f), 0), nil
}

// audienceHas reports whether aud (a string or an array of strings)
// contains want. An empty want accepts nothing: the audience is required.
func audienceHas(aud json.RawMessage, want string) bool {
	if want == "" || len(aud) == 0 {
		return false
	}
	var one string
	if json.Unmarshal(aud, &one) == nil {
		return one == want
	}
	var many []string
	if json.Unmarshal(aud, &many) == nil {
		return slices.Contains(many, want)
	}
	return false
}

func authErr(format string, args ...any) error {
	return diag.ErrorList{&diag.Error{Code: diag.Unauthenticated, Msg: fmt.Sprintf(format, args...)}}.Err()
}
