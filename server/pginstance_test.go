package server_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/vecompile/vecompile/engine"
)

// pgInstance is a PostgreSQL server of the test's own, on a free port
// and in a temporary directory, that the test may kill: the fault tests
// never touch the shared PostgreSQL.
type pgInstance struct {
	t       *testing.T
	bin     string // the directory of initdb and postgres
	dir     string // data directory
	port    int
	cred    *syscall.Credential // the unprivileged user it runs as, when the test is root
	cmd     *exec.Cmd
	logFile *os.File
}

// startPostgres initializes and starts an instance from the installed
// PostgreSQL binaries (/usr/lib/postgresql/*/bin). Without them the test
// is skipped, except under CI=true, where .ci/run installs them.
func startPostgres(t *testing.T) *pgInstance {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("no PostgreSQL binaries under /usr/lib/postgresql/*/bin: .ci/run must install them")
		}
		t.Skip("no PostgreSQL binaries under /usr/lib/postgresql/*/bin (install postgresql to run the fault suite)")
	}
	slices.SortFunc(bins, func(a, b string) int { return pgVersion(b) - pgVersion(a) })
	p := &pgInstance{t: t, bin: filepath.Dir(bins[0])}
	base, err := os.MkdirTemp("", "vecompile-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	p.dir = filepath.Join(base, "data")
	if err := os.Mkdir(p.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 { // initdb and postgres refuse to run as root
		if err := os.Chmod(base, 0o755); err != nil {
			t.Fatal(err)
		}
		p.cred = unprivileged(t)
		if err := os.Chown(p.dir, int(p.cred.Uid), int(p.cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	if p.logFile, err = os.Create(filepath.Join(base, "postgres.log")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.logFile.Close() })
	initdb := exec.Command(filepath.Join(p.bin, "initdb"), "-D", p.dir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	p.port = freePort(t)
	p.start()
	t.Cleanup(p.kill)
	return p
}

func pgVersion(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

// unprivileged is the postgres system user, else nobody.
func unprivileged(t *testing.T) *syscall.Credential {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	t.Skip("running as root with no unprivileged user (postgres or nobody) to run PostgreSQL as")
	return nil
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// DSN is the instance's connection string.
func (p *pgInstance) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

// start runs the server (again, after a kill: crash recovery) and waits
// until it answers.
func (p *pgInstance) start() {
	t := p.t
	t.Helper()
	p.cmd = exec.Command(filepath.Join(p.bin, "postgres"), "-D", p.dir, "-p", strconv.Itoa(p.port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+p.dir,
		"-c", "max_connections=40", "-c", "fsync=off", "-c", "shared_buffers=16MB")
	// Its own process group, so that a kill takes the backends too; and
	// it dies with the test process.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p.cmd.Stdout, p.cmd.Stderr = p.logFile, p.logFile
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting postgres: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		db, err := engine.Open(ctx, p.DSN())
		cancel()
		if err == nil {
			db.Close()
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(p.logFile.Name())
			t.Fatalf("postgres on port %d did not come up: %v\n%s", p.port, err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill stops the postmaster and every backend at once (SIGKILL), as a
// crash does: open connections break, new ones are refused.
func (p *pgInstance) kill() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	p.cmd.Wait()
	p.cmd = nil
}
