package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/vecompile/vecompile/server"
)

const tokenUsage = `Usage: vecompile token --jwt-secret-file FILE --jwt-issuer ISS --jwt-audience AUD [flags]

Prints a development token (HS256) that 'vecompile serve' started with the same
secret, issuer and audience accepts. Production tokens come from the identity
provider; this is for a local server and tests.

Example:
  head -c 48 /dev/urandom | base64 > secret
  vecompile token --jwt-secret-file secret --jwt-issuer dev --jwt-audience api://vecompile

Flags:
`

// runToken is 'vecompile token': a development token for a local server.
func runToken(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vecompile token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, tokenUsage); fs.PrintDefaults() }
	var (
		secretFile = fs.String("jwt-secret-file", "", "file holding the HS256 shared secret (the server's --jwt-secret-file)")
		issuer     = fs.String("jwt-issuer", "", "token issuer (the server's --jwt-issuer)")
		audience   = fs.String("jwt-audience", "", "token audience (the server's --jwt-audience)")
		app        = fs.String("app", "vecompile-dev", "the calling application (azp)")
		role       = fs.String("role", server.DefaultAdapterRole, "the application role the token carries")
		ttl        = fs.Duration("ttl", time.Hour, "how long the token is valid")
	)
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		return fail(stderr, flagError("token takes no arguments, got %q", fs.Arg(0)))
	}
	if *secretFile == "" || *issuer == "" || *audience == "" {
		return fail(stderr, flagError("--jwt-secret-file, --jwt-issuer and --jwt-audience are required"))
	}
	secret, err := readHS256Secret(*secretFile)
	if err != nil {
		return fail(stderr, err)
	}
	tok, err := server.MintDevToken(server.DevToken{Secret: secret, Issuer: *issuer, Audience: *audience, App: *app, Role: *role, TTL: *ttl})
	if err != nil {
		return fail(stderr, flagError("%v", err))
	}
	fmt.Fprintln(stdout, tok)
	return 0
}

// readHS256Secret reads a shared secret file as serve and token use it:
// surrounding white space trimmed, at least 32 bytes.
func readHS256Secret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, flagError("--jwt-secret-file: %v", err)
	}
	secret := []byte(strings.TrimSpace(string(b)))
	if len(secret) < 32 {
		return nil, flagError("--jwt-secret-file: the HS256 secret must be at least 32 bytes")
	}
	return secret, nil
}
