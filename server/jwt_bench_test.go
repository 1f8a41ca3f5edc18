package server_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"testing"

	"github.com/vecompile/vecompile/server"
)

// BenchmarkVerify measures token verification by algorithm: "first" is a
// token the verifier has not seen (signature and claims checked), "again"
// one it verified before (the verified-token cache; the clock is still
// checked).
func BenchmarkVerify(b *testing.B) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	verifier := func() *server.JWTVerifier {
		v := testVerifier()
		v.Keys = map[string]any{"rsa": &rsaKey.PublicKey, "ec": &ecKey.PublicKey}
		return v
	}
	for _, c := range []struct{ alg, token string }{
		{"HS256", hs256(b, claims(nil))},
		{"RS256", rs256(b, rsaKey, claims(nil))},
		{"ES256", es256(b, ecKey, claims(nil))},
	} {
		b.Run(c.alg+"/first", func(b *testing.B) {
			for b.Loop() {
				if _, err := verifier().Verify(c.token); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.alg+"/again", func(b *testing.B) {
			v := verifier()
			for b.Loop() {
				if _, err := v.Verify(c.token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
