package loadgen

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// stream is the running load of one Service.
type stream struct {
	load   Load
	cancel context.CancelFunc
	done   chan struct{}
	stats  Stats
}

// Stats counts a stream's requests.
type Stats struct {
	Sent, OK, ServerErrors, Failed, Dropped atomic.Int64
}

// String summarises the counts for logs.
func (s *Stats) String() string {
	return fmt.Sprintf("sent=%d ok=%d 5xx=%d failed=%d dropped=%d",
		s.Sent.Load(), s.OK.Load(), s.ServerErrors.Load(), s.Failed.Load(), s.Dropped.Load())
}

// start sends load.RPS requests per second to host through the ingress
// until stopped or ctx ends; at most maxInFlight requests are outstanding.
func (g *Generator) start(ctx context.Context, host string, load Load) *stream {
	ctx, cancel := context.WithCancel(ctx)
	s := &stream{load: load, cancel: cancel, done: make(chan struct{})}
	go s.run(ctx, g.client, "http://"+g.opts.Ingress+load.Path, host)
	return s
}

func (s *stream) run(ctx context.Context, client *http.Client, url, host string) {
	defer close(s.done)
	inFlight := make(chan struct{}, maxInFlight)
	tick := time.NewTicker(time.Duration(float64(time.Second) / s.load.RPS))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			for range maxInFlight { // wait for the outstanding requests
				inFlight <- struct{}{}
			}
			return
		case <-tick.C:
		}
		select {
		case inFlight <- struct{}{}:
			go func() {
				defer func() { <-inFlight }()
				s.send(ctx, client, url, host)
			}()
		default:
			s.stats.Dropped.Add(1)
		}
	}
}

// send makes one request and counts its outcome.
func (s *stream) send(ctx context.Context, client *http.Client, url, host string) {
	s.stats.Sent.Add(1)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		s.stats.Failed.Add(1)
		return
	}
	req.Host = host
	req.Header.Set("User-Agent", "kship-podsim-loadgen")
	resp, err := client.Do(req)
	if err != nil {
		s.stats.Failed.Add(1)
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 500:
		s.stats.ServerErrors.Add(1)
	case resp.StatusCode < 400:
		s.stats.OK.Add(1)
	default:
		s.stats.Failed.Add(1)
	}
}

// stop ends the stream and waits for its requests to finish.
func (s *stream) stop() {
	s.cancel()
	<-s.done
}
