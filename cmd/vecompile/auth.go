package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/server"
)

// authFlags are serve's token flags.
type authFlags struct {
	issuers, audiences  listFlag
	keyFiles            multiFlag
	secretFile, role    *string
	jwksURL, oidcIssuer *string
	tenant              *string
	skew                *time.Duration
	refresh, minRefresh *time.Duration
}

func addAuthFlags(fs *flag.FlagSet) *authFlags {
	a := &authFlags{
		secretFile: fs.String("jwt-secret-file", "", "file holding the HS256 shared secret"),
		role:       fs.String("jwt-role", server.DefaultAdapterRole, "application role (roles claim) that reaches the adapter endpoints"),
		skew:       fs.Duration("clock-skew", time.Minute, "allowed clock skew for exp/nbf (at most 5m)"),
		jwksURL:    fs.String("jwks-url", "", "JSON Web Key Set of the identity provider (RS256/ES256 keys, cached and refreshed)"),
		oidcIssuer: fs.String("oidc-issuer", "", "OpenID Connect issuer: its keys are found through <issuer>/.well-known/openid-configuration, and it is an accepted token issuer"),
		tenant:     fs.String("entra-tenant", "", "Entra ID tenant id the tokens' tid claim must hold"),
		refresh:    fs.Duration("jwks-refresh", server.DefaultJWKSRefresh, "refetch the JWKS when its keys are this old"),
		minRefresh: fs.Duration("jwks-min-refresh", server.DefaultJWKSMinRefresh, "least time between JWKS fetches caused by an unknown kid or a failed fetch"),
	}
	fs.Var(&a.issuers, "jwt-issuer", "accepted token issuer (iss); repeatable or comma-separated")
	fs.Var(&a.audiences, "jwt-audience", "accepted token audience (aud), e.g. both api://<app> and the app id; repeatable or comma-separated")
	fs.Var(&a.keyFiles, "jwt-key", "PEM public key for RS256/ES256 tokens (repeatable; the file's base name without extension is its kid)")
	return a
}

// verifier builds the token verifier; with --jwks-url or --oidc-issuer it
// fetches the keys now, and a failure refuses the start.
func (a *authFlags) verifier(ctx context.Context, log *slog.Logger) (*server.JWTVerifier, error) {
	v := &server.JWTVerifier{Issuers: slices.Clone(a.issuers), Audiences: slices.Clone(a.audiences), Role: *a.role, Skew: *a.skew, Tenant: *a.tenant, Keys: map[string]any{}}
	if *a.secretFile != "" {
		secret, err := readHS256Secret(*a.secretFile)
		if err != nil {
			return nil, err
		}
		v.Secret = secret
	}
	for _, f := range a.keyFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, flagError("--jwt-key: %v", err)
		}
		k, err := server.ParsePublicKeyPEM(b)
		if err != nil {
			return nil, flagError("--jwt-key %s: %v", f, err)
		}
		v.Keys[strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))] = k
	}
	if *a.refresh <= 0 || *a.minRefresh <= 0 || *a.minRefresh > *a.refresh {
		return nil, flagError("--jwks-refresh and --jwks-min-refresh must be positive, the minimum not above the period")
	}
	if _, ok := plan.CanonicalGUID(*a.tenant); *a.tenant != "" && !ok {
		return nil, flagError("--entra-tenant: %q is not a tenant id (a GUID)", *a.tenant)
	}
	jwksURL := *a.jwksURL
	switch {
	case jwksURL != "" && *a.oidcIssuer != "":
		return nil, flagError("give --jwks-url or --oidc-issuer, not both (discovery finds the JWKS)")
	case *a.oidcIssuer != "":
		var err error
		if jwksURL, err = server.Discover(ctx, nil, *a.oidcIssuer); err != nil {
			return nil, err
		}
		if !slices.Contains(v.Issuers, *a.oidcIssuer) {
			v.Issuers = append(v.Issuers, *a.oidcIssuer)
		}
	case jwksURL != "":
		if err := server.CheckKeyURL(jwksURL); err != nil {
			return nil, err
		}
	}
	if jwksURL != "" {
		v.Remote = &server.RemoteKeys{URL: jwksURL, Refresh: *a.refresh, MinRefresh: *a.minRefresh, Logger: log}
		if err := v.Remote.Load(ctx); err != nil {
			log.Error("refusing to start: the token keys cannot be fetched", "jwks", jwksURL)
			return nil, err
		}
		log.Info("token keys fetched", "jwks", jwksURL)
	}
	if len(v.Secret) == 0 && len(v.Keys) == 0 && v.Remote == nil {
		return nil, flagError("no token keys: give --jwt-secret-file, --jwt-key, --jwks-url or --oidc-issuer")
	}
	if len(v.Issuers) == 0 || len(v.Audiences) == 0 {
		return nil, flagError("--jwt-audience and --jwt-issuer (or --oidc-issuer) are required")
	}
	return v, nil
}

// listFlag is a repeatable flag whose values may also be comma-separated.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}
