// Command demoapp is the application that kship's local environment runs
// for every simulated pod: a small HTTP server whose version, error rate,
// latency and health come from its environment, so tests and the demo can
// ship good and bad releases and measure the difference.
//
// It serves / (a line naming its version, pod name and IP), /healthz (200,
// or 503 with DEMO_HEALTH_FAIL=true) and /metrics (http_requests_total{code,
// version} and http_request_duration_seconds{version}, for app requests
// only).
//
// Environment: DEMO_VERSION, DEMO_ERROR_RATE (0..1), DEMO_LATENCY_MS,
// DEMO_HEALTH_FAIL, DEMO_MESSAGE, DEMO_LISTEN (or --listen), and POD_NAME,
// POD_IP as set by the pod runner.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", "", "loopback IP:PORT to serve on (default $DEMO_LISTEN or "+defaultListen+")")
	flag.Parse()
	cfg, err := loadConfig(*listen, os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demoapp:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "demoapp:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends, then drains in-flight requests for up to 5 s.
func run(ctx context.Context, cfg config) error {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	srv := &http.Server{Handler: newApp(cfg).routes(), ReadHeaderTimeout: 10 * time.Second}
	log.Printf("demoapp version=%s pod=%s listening on %s (error rate %g, latency %s, health fail %t)",
		cfg.Version, cfg.PodName, ln.Addr(), cfg.ErrorRate, cfg.Latency, cfg.HealthFail)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve on %s: %w", cfg.Listen, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shut down server on %s: %w", cfg.Listen, err)
	}
	log.Printf("demoapp on %s stopped", cfg.Listen)
	return nil
}
