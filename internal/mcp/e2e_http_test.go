package mcp_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestHTTPNeedsTheTokenAndLoopback runs `kship mcp --listen` as a user
// would: a request without the token or with a wrong one is refused (401)
// before it reaches MCP, a foreign Host header is refused (403), the SDK's
// client with the token lists the tools and reads a release's status; the
// socket is bound to 127.0.0.1 only, and a --listen address off loopback
// is refused at start.
func TestHTTPNeedsTheTokenAndLoopback(t *testing.T) {
	f := newFixture(t)
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", "10.1.2.3:8765", "example.com:80", ":8765"} {
		out, code := f.cli("", "mcp", "--state-dir", f.state, "--listen", addr)
		if code != 1 || !strings.Contains(out, "loopback") {
			t.Errorf("--listen %s: exit %d\n%s", addr, code, out)
		}
	}

	addr, tokenFile := f.serveHTTP()
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(tokenFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token file %s: %v %v", tokenFile, fi.Mode(), err)
	}
	url := "http://" + addr + "/mcp"
	initialize := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"0"}}}`
	post := func(host, auth string) (int, string) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(initialize))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if host != "" {
			req.Host = host
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		return res.StatusCode, string(b)
	}
	tok := strings.TrimSpace(string(token))
	for _, tt := range []struct {
		name, host, auth string
		want             int
	}{
		{"no token", "", "", http.StatusUnauthorized},
		{"a wrong token", "", "Bearer " + strings.Repeat("0", len(tok)), http.StatusUnauthorized},
		{"the token one character short", "", "Bearer " + tok[:len(tok)-1], http.StatusUnauthorized},
		{"the token as basic auth", "", "Basic " + tok, http.StatusUnauthorized},
		{"a foreign Host (DNS rebinding)", "attacker.example:80", "Bearer " + tok, http.StatusForbidden},
		{"the token", "", "Bearer " + tok, http.StatusOK},
	} {
		if code, body := post(tt.host, tt.auth); code != tt.want {
			t.Errorf("%s: HTTP %d, want %d\n%s", tt.name, code, tt.want, body)
		}
	}

	hc := &http.Client{Transport: bearer{tok}}
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "kship-e2e-http", Version: "v0"}, nil).
		Connect(t.Context(), &sdk.StreamableClientTransport{Endpoint: url, HTTPClient: hc}, nil)
	if err != nil {
		t.Fatalf("connect with the token: %v\n%s", err, f.stderr.String())
	}
	defer cs.Close()
	tools, err := cs.ListTools(t.Context(), nil)
	if err != nil || len(tools.Tools) != 9 {
		t.Fatalf("list tools over HTTP: %v %v", err, tools)
	}
	res := f.call(cs, "status", map[string]any{"release": "nothing-here", "namespace": "default"}, nil)
	if !res.IsError || !strings.Contains(text(res), "nothing-here") {
		t.Errorf("status over HTTP: %s", text(res))
	}
	if _, err := sdk.NewClient(&sdk.Implementation{Name: "no-token", Version: "v0"}, nil).
		Connect(t.Context(), &sdk.StreamableClientTransport{Endpoint: url, MaxRetries: -1}, nil); err == nil {
		t.Error("the SDK's client connected without the token")
	}

	_, port, _ := net.SplitHostPort(addr)
	if binds := listeners(t, port); len(binds) != 1 || binds[0] != "127.0.0.1" {
		t.Errorf("port %s is listened on at %v, want 127.0.0.1 only", port, binds)
	}
}

type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// serveHTTP starts `kship mcp --listen 127.0.0.1:0` and returns the address
// it printed and its token file.
func (f *fixture) serveHTTP(extra ...string) (addr, tokenFile string) {
	f.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, f.bin, f.serveArgs(append([]string{"--listen", "127.0.0.1:0"}, extra...)...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		f.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cancel()
		}
		cancel()
	})
	ready := regexp.MustCompile(`serving http://(\S+)/mcp \(bearer token in (\S+)\)`)
	found := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			f.progMu.Lock()
			f.stderr.WriteString(line + "\n")
			f.progMu.Unlock()
			if m := ready.FindStringSubmatch(line); m != nil {
				found <- m
			}
		}
		close(found)
	}()
	select {
	case m, ok := <-found:
		if !ok {
			f.t.Fatalf("kship mcp --listen ended:\n%s", f.stderr.String())
		}
		return m[1], m[2]
	case <-time.After(time.Minute):
		f.t.Fatalf("kship mcp --listen did not say where it listens:\n%s", f.stderr.String())
	}
	return "", ""
}

// listeners are the local addresses of the sockets listening on port
// (from /proc/net/tcp and tcp6: what the kernel says, not what kship says).
func listeners(t *testing.T, port string) []string {
	t.Helper()
	var out []string
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			fields := strings.Fields(line)
			if len(fields) < 4 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			ip, p, _ := strings.Cut(fields[1], ":")
			var n int
			fmt.Sscanf(p, "%X", &n)
			if fmt.Sprint(n) != port {
				continue
			}
			out = append(out, procIP(ip))
		}
	}
	return out
}

// procIP decodes /proc/net/tcp's little-endian hex IPv4 (IPv6 kept as is).
func procIP(h string) string {
	if len(h) != 8 {
		return h
	}
	var b [4]byte
	for i := 0; i < 4; i++ {
		fmt.Sscanf(h[2*i:2*i+2], "%02X", &b[3-i])
	}
	return net.IP(b[:]).String()
}
