package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/vecompile/vecompile/internal/diag"
)

// The refresh schedule of a remote key set.
const (
	// DefaultJWKSRefresh is how old the keys may grow before they are
	// fetched again (in the background; requests keep the current keys).
	DefaultJWKSRefresh = time.Hour
	// DefaultJWKSMinRefresh is the least time between two fetches that a
	// token with an unknown kid, or a failed fetch, may cause: a burst of
	// tokens with made-up kids costs the identity provider one request.
	// Microsoft's own middleware uses the same 5 minutes.
	DefaultJWKSMinRefresh = 5 * time.Minute
	// maxJWKSBody bounds a JWKS or discovery document.
	maxJWKSBody = 1 << 20
	// jwksTimeout bounds one fetch when no Client is given.
	jwksTimeout = 10 * time.Second
)

// RemoteKeys is a JSON Web Key Set the identity provider publishes
// (Entra ID: https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys).
// Load fetches it; afterwards the keys are refreshed in the background
// once they are older than Refresh, and at once when a token names a kid
// the set lacks, at most once per MinRefresh. A failed fetch (the
// endpoint down, an error status, a body that is not a key set or holds
// no usable key) keeps the last good keys and is logged.
type RemoteKeys struct {
	URL        string
	Client     *http.Client     // default: a client with a 10 s timeout
	Refresh    time.Duration    // default DefaultJWKSRefresh
	MinRefresh time.Duration    // default DefaultJWKSMinRefresh
	Logger     *slog.Logger     // default: discard
	Now        func() time.Time // default time.Now

	set atomic.Pointer[keySet]
	// mu serialises fetches; lastTry is when the last one started.
	mu      sync.Mutex
	lastTry time.Time
	failing atomic.Bool // the last fetch failed
	fetches atomic.Int64
}

// keySet is one fetched JWKS, immutable.
type keySet struct {
	keys    []remoteKey
	digest  [32]byte // of the keys, to tell a changed set from a refetched one
	gen     uint64   // bumped when the keys change
	fetched time.Time
}

type remoteKey struct {
	kid string
	alg jose.SignatureAlgorithm
	key any // *rsa.PublicKey or *ecdsa.PublicKey, checked by checkPublicKey
}

// Load fetches the key set now. An error leaves the current keys in
// force; serve calls it once at start and refuses to start on an error.
func (r *RemoteKeys) Load(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fetchLocked(ctx)
}

// Fetches says how many fetches have started (for tests and metrics).
func (r *RemoteKeys) Fetches() int64 { return r.fetches.Load() }

func (r *RemoteKeys) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *RemoteKeys) refresh() time.Duration {
	if r.Refresh > 0 {
		return r.Refresh
	}
	return DefaultJWKSRefresh
}

func (r *RemoteKeys) minRefresh() time.Duration {
	if r.MinRefresh > 0 {
		return r.MinRefresh
	}
	return DefaultJWKSMinRefresh
}

func (r *RemoteKeys) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// generation is the current key set's generation (0 for a nil r or no
// keys yet).
func (r *RemoteKeys) generation() uint64 {
	if r == nil {
		return 0
	}
	return r.set.Load().generation()
}

// generation is 0 for no set.
func (s *keySet) generation() uint64 {
	if s == nil {
		return 0
	}
	return s.gen
}

// lookup returns the keys a token with this kid may be verified by (all
// keys for a token without kid), with the set's generation. An unknown
// kid refreshes the set first, unless a fetch started less than
// MinRefresh ago; stale keys are refreshed in the background.
func (r *RemoteKeys) lookup(kid string) ([]remoteKey, uint64) {
	s := r.set.Load()
	if keys := s.find(kid); len(keys) > 0 || kid == "" {
		r.refreshIfStale(s)
		return keys, s.generation()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s2 := r.set.Load(); s2 != s {
		// Another request refreshed the set meanwhile.
		return s2.find(kid), s2.generation()
	}
	if r.now().Sub(r.lastTry) < r.minRefresh() {
		return nil, s.generation()
	}
	r.logger().Info("refreshing the JWKS: a token names an unknown kid", "url", r.URL, "kid", kid)
	if err := r.fetchLocked(context.Background()); err != nil {
		return nil, s.generation()
	}
	s = r.set.Load()
	return s.find(kid), s.generation()
}

// refreshIfStale starts a background fetch when the keys are older than
// Refresh and no fetch started in the last MinRefresh (failed fetches
// are retried at that pace).
func (r *RemoteKeys) refreshIfStale(s *keySet) {
	now := r.now()
	if s != nil && now.Sub(s.fetched) < r.refresh() || !r.mu.TryLock() {
		return
	}
	if now.Sub(r.lastTry) < r.minRefresh() {
		r.mu.Unlock()
		return
	}
	go func() {
		defer r.mu.Unlock()
		_ = r.fetchLocked(context.Background())
	}()
}

// state describes the set for an error message.
func (r *RemoteKeys) state() string {
	s := r.set.Load()
	msg := "no keys fetched yet"
	if s != nil {
		msg = fmt.Sprintf("%d keys fetched at %s", len(s.keys), s.fetched.UTC().Format(time.RFC3339))
	}
	if r.failing.Load() {
		msg += "; the last refresh failed"
	}
	return msg
}

func (s *keySet) find(kid string) []remoteKey {
	if s == nil {
		return nil
	}
	if kid == "" {
		return s.keys
	}
	var out []remoteKey
	for _, k := range s.keys {
		if k.kid == kid {
			out = append(out, k)
		}
	}
	return out
}

// fetchLocked fetches and installs the key set; r.mu is held.
func (r *RemoteKeys) fetchLocked(ctx context.Context) error {
	r.lastTry = r.now()
	r.fetches.Add(1)
	keys, err := r.fetch(ctx)
	r.failing.Store(err != nil)
	if err != nil {
		if r.set.Load() != nil {
			r.logger().Error("fetching the JWKS failed; the previous keys stay in force", "url", r.URL, "err", err.Error())
		}
		return configError(diag.BadFlag, "the JWKS %s cannot be read: %v", r.URL, err)
	}
	next := &keySet{keys: keys, digest: digestKeys(keys), fetched: r.lastTry}
	prev := r.set.Load()
	switch {
	case prev == nil:
		next.gen = 1
	case prev.digest == next.digest:
		next.gen = prev.gen
	default:
		next.gen = prev.gen + 1
		r.logger().Info("the JWKS changed", "url", r.URL, "kids", kids(keys))
	}
	r.set.Store(next)
	return nil
}

func (r *RemoteKeys) fetch(ctx context.Context) ([]remoteKey, error) {
	body, err := getJSON(ctx, r.Client, r.URL)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.Keys == nil {
		return nil, errors.New(`the body is not a JSON Web Key Set ({"keys":[…]})`)
	}
	var keys []remoteKey
	for i, raw := range doc.Keys {
		k, err := parseJWK(raw)
		if err != nil {
			// RFC 7517 §5: keys that are not understood are ignored.
			r.logger().Warn("JWKS key ignored", "url", r.URL, "index", i, "reason", err.Error())
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("the key set holds no usable signing key (RSA of 2048 bits or more, or EC P-256)")
	}
	return keys, nil
}

// parseJWK reads one public signing key of a JWKS.
func parseJWK(raw json.RawMessage) (remoteKey, error) {
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(raw); err != nil {
		return remoteKey{}, errors.New(strings.TrimPrefix(err.Error(), "go-jose/go-jose: "))
	}
	if !jwk.IsPublic() {
		return remoteKey{}, fmt.Errorf("kid %q is not a public key", jwk.KeyID)
	}
	if jwk.Use != "" && jwk.Use != "sig" {
		return remoteKey{}, fmt.Errorf("kid %q is for %q, not signatures", jwk.KeyID, jwk.Use)
	}
	key, err := checkPublicKey(jwk.Key)
	if err != nil {
		return remoteKey{}, fmt.Errorf("kid %q: %v", jwk.KeyID, err)
	}
	alg := keyAlg(key)
	if jwk.Algorithm != "" && jwk.Algorithm != string(alg) {
		return remoteKey{}, fmt.Errorf("kid %q is for %s, not %s", jwk.KeyID, jwk.Algorithm, alg)
	}
	return remoteKey{kid: jwk.KeyID, alg: alg, key: key}, nil
}

func digestKeys(keys []remoteKey) [32]byte {
	h := sha256.New()
	for _, k := range keys {
		der, _ := x509.MarshalPKIXPublicKey(k.key)
		fmt.Fprintf(h, "%q %s %x\n", k.kid, k.alg, der)
	}
	var d [32]byte
	h.Sum(d[:0])
	return d
}

// Discover reads the OpenID Connect discovery document of an issuer
// (<issuer>/.well-known/openid-configuration) and returns its jwks_uri.
// The document's issuer must be the issuer asked for, character for
// character (OpenID Connect Discovery §4.3).
func Discover(ctx context.Context, client *http.Client, issuer string) (jwksURI string, err error) {
	if err := checkKeyURL(issuer); err != nil {
		return "", configError(diag.BadFlag, "OIDC issuer %s: %v", issuer, err)
	}
	where := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	body, err := getJSON(ctx, client, where)
	if err != nil {
		return "", configError(diag.BadFlag, "OIDC discovery %s: %v", where, err)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", configError(diag.BadFlag, "OIDC discovery %s: the body is not a discovery document: %v", where, err)
	}
	switch {
	case doc.Issuer != issuer:
		return "", configError(diag.BadFlag, "OIDC discovery %s: the document is for issuer %q, not %q (give the issuer exactly as the provider names it; a multi-tenant endpoint such as /common has no single issuer)", where, doc.Issuer, issuer)
	case doc.JWKSURI == "":
		return "", configError(diag.BadFlag, "OIDC discovery %s: the document has no jwks_uri", where)
	}
	if err := checkKeyURL(doc.JWKSURI); err != nil {
		return "", configError(diag.BadFlag, "OIDC discovery %s: jwks_uri %s: %v", where, doc.JWKSURI, err)
	}
	return doc.JWKSURI, nil
}

// CheckKeyURL refuses a key or discovery URL that is not https (plain
// http is accepted on a loopback host only, for tests and local
// providers): keys fetched in clear could be replaced on the way.
func CheckKeyURL(raw string) error {
	if err := checkKeyURL(raw); err != nil {
		return configError(diag.BadFlag, "%s: %v", raw, err)
	}
	return nil
}

func checkKeyURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return errors.New("not an absolute URL")
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	}
	return errors.New("keys are fetched over https only (plain http on a loopback host)")
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// getJSON GETs a JSON document of at most maxJWKSBody bytes.
func getJSON(ctx context.Context, client *http.Client, where string) ([]byte, error) {
	if client == nil {
		client = &http.Client{Timeout: jwksTimeout}
	}
	ctx, cancel := context.WithTimeout(ctx, jwksTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, where, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBody+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxJWKSBody {
		return nil, fmt.Errorf("the body is larger than %d bytes", maxJWKSBody)
	}
	if !json.Valid(bytes.TrimSpace(body)) {
		return nil, errors.New("the body is not JSON")
	}
	return body, nil
}

// kids lists the key ids of a set, sorted (for logs).
func kids(keys []remoteKey) []string {
	var out []string
	for _, k := range keys {
		out = append(out, k.kid)
	}
	slices.Sort(out)
	return out
}
