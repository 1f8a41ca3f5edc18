package loadtest

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/vecompile/vecompile"
	sqlemit "github.com/vecompile/vecompile/emit/sql"
	"github.com/vecompile/vecompile/engine"
	"github.com/vecompile/vecompile/plan"
	"github.com/vecompile/vecompile/security"
	"github.com/vecompile/vecompile/server"
)

// MultipleFetch is the RetrieveMultiple of the load test: a 10-row page of
// accounts with two outer links (primary contact, owner).
const MultipleFetch = `<fetch count="10"><entity name="account"><attribute name="name"/><attribute name="accountnumber"/><attribute name="revenue"/><order attribute="name"/>
<link-entity name="contact" from="contactid" to="primarycontactid" link-type="outer" alias="pc"><attribute name="fullname"/></link-entity>
<link-entity name="systemuser" from="systemuserid" to="ownerid" link-type="outer" alias="o"><attribute name="fullname"/></link-entity>
</entity></fetch>`

// DefaultUser is the sample's Sales Manager: parent-child read on accounts
// and contacts, organization read on users, so every request carries real
// row and column security.
const DefaultUser = "aa000000-0000-4000-8000-000000000002"

// Env is an adapter server listening on loopback over the sample data,
// secured by the sample's model, with a valid token for its requests.
type Env struct {
	Base   string
	Header http.Header
	// Handler is the server's handler, for benchmarks that leave the
	// network out.
	Handler http.Handler
	DB      *engine.DB
	Catalog plan.Catalog
	Session *security.Session // nil when insecure
	// IDs are accounts the acting user may read (Retrieve rotates over them).
	IDs   []string
	close []func()
}

// EnvOptions choose the backend and the acting user.
type EnvOptions struct {
	DSN      string // "" for the embedded SQLite sample; else the sample is loaded with a unique prefix
	User     string // "" for DefaultUser
	Insecure bool
	// Logger receives the server's logs (nil: none); the load command
	// passes one for errors, so that a 5xx under load says why.
	Logger *slog.Logger
	// DB and Catalog, when set, are an open database holding the sample
	// that the caller owns (DSN is then unused): servers compared in one
	// run read the same tables.
	DB      *engine.DB
	Catalog plan.Catalog
}

// Start builds and starts the server.
func Start(ctx context.Context, o EnvOptions) (*Env, error) {
	if o.User == "" {
		o.User = DefaultUser
	}
	e := &Env{}
	var err error
	switch {
	case o.DB != nil:
		e.DB, e.Catalog = o.DB, o.Catalog
	case o.DSN == "":
		e.DB, e.Catalog, err = engine.OpenSample(ctx)
		if err != nil {
			return nil, err
		}
		e.close = append(e.close, func() { e.DB.Close() })
	default:
		if e.DB, err = engine.Open(ctx, o.DSN); err != nil {
			return nil, err
		}
		db := e.DB
		e.close = append(e.close, func() { db.Close() })
		prefix := fmt.Sprintf("load%d_%d_", os.Getpid(), time.Now().UnixNano()%1_000_000)
		if e.Catalog, err = engine.LoadFixture(ctx, db, prefix); err != nil {
			e.Close()
			return nil, err
		}
		e.close = append(e.close, func() { engine.DropFixture(context.Background(), db, prefix) })
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	const iss, aud = "https://login.example.com/load/v2.0", "api://vecompile-load"
	cfg := server.Config{DB: e.DB, Catalog: e.Catalog, Users: server.SameIDs{Contacts: true}, Insecure: o.Insecure,
		Auth: &server.JWTVerifier{Issuers: []string{iss}, Audiences: []string{aud}, Secret: secret}, Logger: o.Logger}
	if !o.Insecure {
		m, err := engine.SampleSecurity()
		if err != nil {
			e.Close()
			return nil, err
		}
		if e.Session, err = m.Session(security.Principal{UserID: o.User}); err != nil {
			e.Close()
			return nil, err
		}
		cfg.Security = server.NewSecurityModel(m)
	}
	srv, err := server.New(cfg)
	if err != nil {
		e.Close()
		return nil, err
	}
	e.Handler = srv.Handler()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.Close()
		return nil, err
	}
	sctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(sctx, ln, 5*time.Second); close(done) }()
	e.close = append(e.close, func() { stop(); <-done })
	e.Base = "http://" + ln.Addr().String()
	e.Header = http.Header{}
	e.Header.Set("Authorization", "Bearer "+mint(secret, iss, aud))
	e.Header.Set(server.HeaderUserID, o.User)
	e.Header.Set("Content-Type", "application/json")
	if e.IDs, err = e.readableIDs(ctx); err != nil {
		e.Close()
		return nil, err
	}
	if len(e.IDs) == 0 {
		e.Close()
		return nil, fmt.Errorf("the acting user %s reads no account", o.User)
	}
	return e, nil
}

// Close stops the server and drops what Start loaded.
func (e *Env) Close() {
	for i := len(e.close) - 1; i >= 0; i-- {
		e.close[i]()
	}
	e.close = nil
}

// mint is an HS256 token valid for a day, holding the adapter role.
func mint(secret []byte, iss, aud string) string {
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	in := enc(map[string]string{"alg": "HS256", "typ": "JWT"}) + "." + enc(map[string]any{
		"iss": iss, "aud": aud, "sub": "load", "azp": "load", "exp": time.Now().Add(24 * time.Hour).Unix(),
		"nbf": time.Now().Add(-time.Minute).Unix(), "roles": []string{server.DefaultAdapterRole}})
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// statement is q planned as the acting user (the server's SQL) and emitted.
func (e *Env) statement(fetch string) (*sqlemit.Statement, error) {
	p, err := e.plan(fetch)
	if err != nil {
		return nil, err
	}
	d, _ := sqlemit.DialectByName(e.DB.Dialect)
	return sqlemit.Emit(p, d)
}

// plan is fetch planned as the server plans it for the acting user.
func (e *Env) plan(fetch string) (*plan.Plan, error) {
	q, err := vecompile.Parse("load", []byte(fetch))
	if err != nil {
		return nil, err
	}
	opt := plan.Options{Catalog: e.Catalog}
	if e.Session != nil {
		opt.Security = plan.ModelSecurity{Session: e.Session}
	}
	return plan.Build(q, opt)
}

func (e *Env) readableIDs(ctx context.Context) ([]string, error) {
	st, err := e.statement(`<fetch top="50"><entity name="account"><attribute name="accountid"/><order attribute="accountid"/></entity></fetch>`)
	if err != nil {
		return nil, err
	}
	rows, err := e.DB.SQL.QueryContext(ctx, st.SQL, st.Args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var v any
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case []byte:
			if len(x) == 16 {
				ids = append(ids, fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16]))
			} else {
				ids = append(ids, string(x))
			}
		case [16]byte:
			ids = append(ids, fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16]))
		default:
			ids = append(ids, fmt.Sprint(x))
		}
	}
	return ids, rows.Err()
}

func retrieveFetch(id string) string {
	return `<fetch top="2"><entity name="account"><attribute name="name"/><attribute name="address1_city"/><attribute name="revenue"/><filter><condition attribute="accountid" operator="eq" value="` + id + `"/></filter></entity></fetch>`
}

// Retrieve is the Retrieve-by-id scenario over the readable accounts.
func (e *Env) Retrieve() Scenario {
	s := Scenario{Name: "Retrieve", Header: e.Header}
	for _, id := range e.IDs {
		b, _ := json.Marshal(map[string]any{"EntityName": "account", "Id": id, "ColumnSet": map[string]any{"Columns": []string{"name", "address1_city", "revenue"}}})
		s.Requests = append(s.Requests, Request{Method: "POST", Path: "/api/ve/v1/Retrieve", Body: b})
	}
	return s
}

// RetrieveMultiple is the 10-row, 2-link page scenario.
func (e *Env) RetrieveMultiple() Scenario {
	return Scenario{Name: "RetrieveMultiple", Header: e.Header, Requests: []Request{{Method: "POST", Path: "/api/ve/v1/RetrieveMultiple", Body: []byte(MultipleFetch)}}}
}

// DirectRetrieve and DirectMultiple run the server's SQL for the same
// requests through database/sql and the driver, every row scanned: the
// baseline the server's added latency is measured against.
func (e *Env) DirectRetrieve() (Do, error) {
	var sts []*sqlemit.Statement
	for _, id := range e.IDs {
		st, err := e.statement(retrieveFetch(id))
		if err != nil {
			return nil, err
		}
		sts = append(sts, st)
	}
	return e.direct(sts), nil
}

// DirectMultiple: see DirectRetrieve.
func (e *Env) DirectMultiple() (Do, error) {
	st, err := e.statement(MultipleFetch)
	if err != nil {
		return nil, err
	}
	return e.direct([]*sqlemit.Statement{st}), nil
}

func (e *Env) direct(sts []*sqlemit.Statement) Do {
	return func(ctx context.Context, _ int, i int64) (int, error) {
		st := sts[int(i)%len(sts)]
		rows, err := e.DB.SQL.QueryContext(ctx, st.SQL, st.Args...)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		n := 0
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return 0, err
			}
			n++
		}
		if n == 0 {
			return 0, fmt.Errorf("the direct query returned no row")
		}
		return 200, rows.Err()
	}
}
