package server

import (
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
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
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: d.Secret}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	return jwt.Signed(signer).Claims(jwt.Claims{
		Issuer: d.Issuer, Audience: jwt.Audience{d.Audience}, Subject: d.App,
		IssuedAt: jwt.NewNumericDate(d.Now), NotBefore: jwt.NewNumericDate(d.Now), Expiry: jwt.NewNumericDate(d.Now.Add(d.TTL)),
	}).Claims(map[string]any{"azp": d.App, "roles": []string{d.Role}}).Serialize()
}
