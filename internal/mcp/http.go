package mcp

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// HTTPPath is where the streamable HTTP endpoint is served.
const HTTPPath = "/mcp"

// CheckLoopback refuses a listen address that is not on loopback: kship's
// MCP server is for agents on the same host, never a network service.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--listen %s: %w (write it as 127.0.0.1:PORT)", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--listen %s: kship mcp listens on a loopback address only (127.0.0.1:PORT or [::1]:PORT), never on %q", addr, host)
	}
	return nil
}

// LoadToken reads the bearer token of the HTTP endpoint from path, making
// a new random one there (mode 0600) when the file does not exist; a
// token file others may read is refused.
func LoadToken(path string) (string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		tok := hex.EncodeToString(b)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return "", fmt.Errorf("token file %s: %w", path, err)
		}
		defer f.Close()
		_, err = f.WriteString(tok + "\n")
		return tok, err
	}
	if err != nil {
		return "", fmt.Errorf("token file %s: %w", path, err)
	}
	if err := private(path, false); err != nil {
		return "", err
	}
	tok := strings.TrimSpace(string(data))
	if len(tok) < 32 {
		return "", fmt.Errorf("token file %s: the token must be at least 32 characters (remove the file to have kship make one)", path)
	}
	return tok, nil
}

// HTTPHandler serves the MCP server over streamable HTTP at HTTPPath,
// every request with the bearer token only (compared in constant time).
// The SDK rejects requests to a loopback listener whose Host header is not
// a loopback name (DNS rebinding).
func (s *Server) HTTPHandler(token string) http.Handler {
	h := sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return s.sdk },
		&sdk.StreamableHTTPOptions{SessionTimeout: time.Hour})
	verify := func(_ context.Context, got string, _ *http.Request) (*auth.TokenInfo, error) {
		if subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			return nil, fmt.Errorf("%w: wrong bearer token", auth.ErrInvalidToken)
		}
		return &auth.TokenInfo{UserID: "kship-token"}, nil
	}
	mux := http.NewServeMux()
	mux.Handle(HTTPPath, auth.RequireBearerToken(verify, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})(h))
	return mux
}

// ServeHTTP listens on addr (loopback only) and serves until ctx ends;
// ready, when set, gets the address listened on.
func (s *Server) ServeHTTP(ctx context.Context, addr, token string, ready func(net.Addr)) error {
	if err := CheckLoopback(addr); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		ln.Close()
		return fmt.Errorf("--listen %s resolved to %s, not a loopback address: refused", addr, ln.Addr())
	}
	if ready != nil {
		ready(ln.Addr())
	}
	srv := &http.Server{Handler: s.HTTPHandler(token), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
