package server_test

import (
	"bytes"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tcpProxy forwards connections to a database, for the fault tests.
// Stopping it cuts every connection and refuses new ones, as a stopped
// database does (start again listens on the same address). Armed, it
// lets the next COMMIT through to the database and then drops the
// client's connection before the reply reaches it: the database commits,
// the client never hears so (cuts counts them).
type tcpProxy struct {
	addr, target string
	armed        atomic.Bool
	cuts         atomic.Int32
	mu           sync.Mutex
	ln           net.Listener
	conns        []net.Conn
}

// start listens (on addr when set, else a free port) and returns the
// address.
func (p *tcpProxy) start(t *testing.T) string {
	t.Helper()
	addr := p.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, d)
			p.mu.Unlock()
			var cutting atomic.Bool
			go p.toDatabase(c, d, &cutting)
			go func() { // database → client, silenced once cutting
				buf := make([]byte, 64<<10)
				for {
					n, err := d.Read(buf)
					if n > 0 && !cutting.Load() {
						if _, werr := c.Write(buf[:n]); werr != nil {
							break
						}
					}
					if err != nil {
						break
					}
				}
				c.Close()
			}()
		}
	}()
	return p.addr
}

// toDatabase forwards client → database, cutting after a COMMIT when
// armed.
func (p *tcpProxy) toDatabase(c, d net.Conn, cutting *atomic.Bool) {
	defer d.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			if p.armed.Load() && bytes.Contains(bytes.ToLower(chunk), []byte("commit")) && p.armed.CompareAndSwap(true, false) {
				cutting.Store(true)
				d.Write(chunk)
				time.Sleep(300 * time.Millisecond) // the database commits
				p.cuts.Add(1)
				c.Close()
				return
			}
			if _, werr := d.Write(chunk); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *tcpProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
