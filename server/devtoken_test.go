package server

import (
	"strings"
	"testing"
	"time"
)

func TestMintDevTokenVerifies(t *testing.T) {
	secret := []byte(strings.Repeat("k", 32))
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	tok, err := MintDevToken(DevToken{Secret: secret, Issuer: "iss", Audience: "api://vecompile", Now: now, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	v := &JWTVerifier{Issuers: []string{"iss"}, Audiences: []string{"api://vecompile"}, Secret: secret, Now: func() time.Time { return now }}
	c, err := v.Verify(tok)
	if err != nil {
		t.Fatalf("a minted token does not verify: %v", err)
	}
	if !c.HasRole(DefaultAdapterRole) || c.App != "vecompile-dev" {
		t.Fatalf("claims = %+v", c)
	}
	// Another secret, audience or a later clock refuse it.
	for name, v := range map[string]*JWTVerifier{
		"secret":   {Issuers: []string{"iss"}, Audiences: []string{"api://vecompile"}, Secret: []byte(strings.Repeat("x", 32)), Now: func() time.Time { return now }},
		"audience": {Issuers: []string{"iss"}, Audiences: []string{"api://other"}, Secret: secret, Now: func() time.Time { return now }},
		"expired":  {Issuers: []string{"iss"}, Audiences: []string{"api://vecompile"}, Secret: secret, Now: func() time.Time { return now.Add(time.Hour) }},
	} {
		if _, err := v.Verify(tok); err == nil {
			t.Errorf("%s: a token for another server verifies", name)
		}
	}
	if _, err := MintDevToken(DevToken{Secret: []byte("short"), Issuer: "i", Audience: "a"}); err == nil {
		t.Error("a short secret mints a token")
	}
}
