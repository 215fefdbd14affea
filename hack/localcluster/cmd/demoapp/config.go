package main

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// config is the demo app's behaviour, read from its environment.
type config struct {
	Listen     string        // IP:PORT to listen on; the IP must be loopback
	Version    string        // DEMO_VERSION, shown on / and used as the version label
	ErrorRate  float64       // DEMO_ERROR_RATE, share of app requests answered 500
	Latency    time.Duration // DEMO_LATENCY_MS, added to every app request
	HealthFail bool          // DEMO_HEALTH_FAIL, /healthz answers 503
	Message    string        // DEMO_MESSAGE, an optional line shown on /
	PodName    string        // POD_NAME, set by the pod runner
	PodIP      string        // POD_IP, set by the pod runner
}

// defaultListen is used when neither --listen nor DEMO_LISTEN is given.
const defaultListen = "127.0.0.1:8080"

// loadConfig reads the configuration from getenv; listen (the --listen
// flag) wins over DEMO_LISTEN.
func loadConfig(listen string, getenv func(string) string) (config, error) {
	c := config{
		Listen:  firstNonEmpty(listen, getenv("DEMO_LISTEN"), defaultListen),
		Version: firstNonEmpty(getenv("DEMO_VERSION"), "unknown"),
		Message: getenv("DEMO_MESSAGE"),
		PodName: getenv("POD_NAME"),
		PodIP:   getenv("POD_IP"),
	}
	if err := checkLoopback(c.Listen); err != nil {
		return c, err
	}
	var err error
	if c.ErrorRate, err = parseRate(getenv("DEMO_ERROR_RATE")); err != nil {
		return c, err
	}
	if c.Latency, err = parseLatency(getenv("DEMO_LATENCY_MS")); err != nil {
		return c, err
	}
	if c.HealthFail, err = parseBool("DEMO_HEALTH_FAIL", getenv("DEMO_HEALTH_FAIL")); err != nil {
		return c, err
	}
	return c, nil
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// checkLoopback refuses listen addresses off the loopback network: the demo
// app only ever serves simulated pods on this machine.
func checkLoopback(listen string) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", listen, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return fmt.Errorf("listen address %q: want a loopback IP:PORT such as 127.10.0.5:8080", listen)
	}
	return nil
}

func parseRate(s string) (float64, error) {
	if strings.TrimSpace(s) == "" {
		return 0, nil
	}
	r, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || r < 0 || r > 1 {
		return 0, fmt.Errorf("DEMO_ERROR_RATE %q: want a number from 0 to 1", s)
	}
	return r, nil
}

func parseLatency(s string) (time.Duration, error) {
	if strings.TrimSpace(s) == "" {
		return 0, nil
	}
	ms, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || ms < 0 || ms > 60_000 {
		return 0, fmt.Errorf("DEMO_LATENCY_MS %q: want milliseconds from 0 to 60000", s)
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}

func parseBool(name, s string) (bool, error) {
	if strings.TrimSpace(s) == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return false, fmt.Errorf("%s %q: want true or false", name, s)
	}
	return b, nil
}
