package gitserver

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"
)

// Run serves the repositories under root on listen (a loopback address)
// until ctx ends.
func Run(ctx context.Context, root, listen, git string, logger *log.Logger) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("git server: listen address %q: %w", listen, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("git server: listen address %q is not on loopback", listen)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("git server: %w", err)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("git server: %w", err)
	}
	srv := &http.Server{Handler: &Server{Root: root, Git: git, Log: logger}, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	logger.Printf("serving the repositories under %s on http://%s", root, ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("git server: %w", err)
	}
	return nil
}
