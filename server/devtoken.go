package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
)

// DevToken is what MintDevToken signs: a local development token for a
// server configured with the same HS256 secret, issuer and audience.
type DevToken struct {
	Secret   []byte
	Issuer   string
	Audience string
	App      string        // azp; default "vecompile-dev"
	Role     string        // default DefaultAdapterRole
	TTL      time.Duration // default 1 h
	Now      time.Time     // default time.Now()
}

// MintDevToken signs an HS256 token that JWTVerifier accepts with the same
// secret, issuer and audience. It is for development and tests: production
// tokens come from the identity provider.
func MintDevToken(d DevToken) (string, error) {
	if len(d.Secret) < 32 {
		return "", fmt.Errorf("the HS256 secret must be at least 32 bytes")
	}
	if d.Issuer == "" || d.Audience == "" {
		return "", fmt.Errorf("a token needs an issuer and an audience")
	}
	if d.App == "" {
		d.App = "vecompile-dev"
	}
	if d.Role == "" {
		d.Role = DefaultAdapterRole
	}
	if d.TTL <= 0 {
		d.TTL = time.Hour
	}
	if d.Now.IsZero() {
		d.Now = time.Now()
	}
	header := `{"alg":"HS256","typ":"JWT"}`
	claims, err := json.Marshal(map[string]any{
		"iss": d.Issuer, "aud": d.Audience, "sub": d.App, "azp": d.App,
		"roles": []string{d.Role},
		"iat":   d.Now.Unix(), "nbf": d.Now.Unix(), "exp": d.Now.Add(d.TTL).Unix(),
	})
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	signed := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString(claims)
	mac := hmac.New(sha256.New, d.Secret)
	mac.Write([]byte(signed))
	return signed + "." + enc.EncodeToString(mac.Sum(nil)), nil
}
