package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/server"
)

// TestRepeatedIdentityHeaders: an identity header given twice (two lines,
// or two ids joined by a comma) is 400 VE6015, not read as its first or
// last value. The edge is before any database: SQLite stands for all.
func TestRepeatedIdentityHeaders(t *testing.T) {
	e := newEnv(t, fixtures(t)[0], nil)
	body := `{"EntityName":"account","Id":"` + contoso + `","ColumnSet":{"Columns":["name"]}}`
	send := func(h http.Header) *response {
		t.Helper()
		req, err := http.NewRequest("POST", e.http.URL+"/api/ve/v1/Retrieve", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = h
		res, err := e.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return &response{status: res.StatusCode, header: res.Header, body: b}
	}
	bearer := "Bearer " + e.token
	base := func() http.Header {
		return http.Header{"Authorization": {bearer}, server.HeaderUserID: {managerID}}
	}
	send(base()).want(t, http.StatusOK) // the control
	for name, edit := range map[string]func(http.Header){
		"two user ids":           func(h http.Header) { h.Add(server.HeaderUserID, ownerID) },
		"the same user id twice": func(h http.Header) { h.Add(server.HeaderUserID, managerID) },
		"two ids in one line":    func(h http.Header) { h.Set(server.HeaderUserID, managerID+", "+ownerID) },
		"two object ids": func(h http.Header) {
			h.Del(server.HeaderUserID)
			h[server.HeaderObjectID] = []string{userObjID, userObjID}
		},
		"two contact ids": func(h http.Header) {
			h.Del(server.HeaderUserID)
			h[server.HeaderContact] = []string{contactID, contactID}
		},
		"two group lines": func(h http.Header) {
			h[server.HeaderGroups] = []string{"6a000000-0000-4000-8000-000000000001", "6a000000-0000-4000-8000-000000000002"}
		},
		"two Authorization": func(h http.Header) { h.Add("Authorization", bearer) },
	} {
		h := base()
		edit(h)
		if r := send(h); r.status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400: %s", name, r.status, r.body)
		} else if _, ve := r.errCode(t); ve != "VE6015" {
			t.Errorf("%s: %s, want VE6015", name, ve)
		}
	}
	// One line listing several groups is the header's form.
	h := base()
	h.Set(server.HeaderGroups, "6a000000-0000-4000-8000-000000000001, 6a000000-0000-4000-8000-000000000002")
	send(h).want(t, http.StatusOK)
}

// TestAmbiguousFramingClosesTheConnection: over a real TCP connection, a
// request with both Content-Length and Transfer-Encoding (the CL.TE
// smuggling shape: the Content-Length covers a second request, the chunked
// body ends before it) is answered with Connection: close and the
// connection closed, so the request hidden behind the body is never
// served; as are a chunked request and an HTTP/1.0 keep-alive request with
// a body. A plain keep-alive request with Content-Length keeps the
// connection, and its pipelined successor is served (the control that
// shows the test can see the difference).
func TestAmbiguousFramingClosesTheConnection(t *testing.T) {
	e := newEnv(t, fixtures(t)[0], nil)
	body := `{"EntityName":"account","Id":"` + contoso + `","ColumnSet":{"Columns":["name"]}}`
	chunked := fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)
	hidden := "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
	head := func(proto string, extra ...string) string {
		return "POST /api/ve/v1/Retrieve " + proto + "\r\nHost: x\r\nAuthorization: Bearer " + e.token + "\r\n" +
			server.HeaderUserID + ": " + managerID + "\r\nContent-Type: application/json\r\n" + strings.Join(extra, "") + "\r\n"
	}
	for _, c := range []struct {
		name  string
		raw   string
		close bool
	}{
		{"Content-Length only (control)", head("HTTP/1.1", fmt.Sprintf("Content-Length: %d\r\n", len(body))) + body + hidden, false},
		{"Content-Length and Transfer-Encoding", head("HTTP/1.1", fmt.Sprintf("Content-Length: %d\r\n", len(chunked+hidden)), "Transfer-Encoding: chunked\r\n") + chunked + hidden, true},
		{"Transfer-Encoding and Content-Length", head("HTTP/1.1", "Transfer-Encoding: chunked\r\n", fmt.Sprintf("Content-Length: %d\r\n", len(chunked+hidden))) + chunked + hidden, true},
		{"Transfer-Encoding only", head("HTTP/1.1", "Transfer-Encoding: chunked\r\n") + chunked + hidden, true},
		{"HTTP/1.0 keep-alive with both", head("HTTP/1.0", "Connection: keep-alive\r\n", fmt.Sprintf("Content-Length: %d\r\n", len(body)), "Transfer-Encoding: chunked\r\n") + body + hidden, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", e.http.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.WriteString(conn, c.raw); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(conn)
			res, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Errorf("status %d: %s", res.StatusCode, b)
			}
			if got := res.Close; got != c.close {
				t.Errorf("Connection: close = %v, want %v (header %q)", got, c.close, res.Header.Get("Connection"))
			}
			conn.SetReadDeadline(time.Now().Add(3 * time.Second))
			second, err := http.ReadResponse(br, nil)
			switch {
			case c.close && err == nil:
				t.Errorf("the hidden request was served (%s) on a connection that should have closed", second.Status)
			case c.close && err != io.EOF && err != io.ErrUnexpectedEOF:
				t.Errorf("after the response: %v, want the connection closed", err)
			case !c.close && err != nil:
				t.Errorf("the pipelined request was not served: %v", err)
			}
		})
	}
}
