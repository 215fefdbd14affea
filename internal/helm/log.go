package helm

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"strings"
	"sync"
)

// Helm's SDK reports warnings (a failed upgrade, an object adopted from the
// cluster's state, a value a chart requires and lacks, ...) through
// log/slog: most through the logger of its action configuration and kube
// client, some through slog's default logger. kship sends both to the
// run's event stream (Client.Warn), never raw to stderr: a Client's
// loggers are warnHandlers, and slog's default logger is routed (sdkLog)
// to the one Helm operation running in the process.

// warnHandler is the slog.Handler of one Client's Helm SDK calls: records
// at slog.LevelWarn and above become one line for Client.Warn, lower
// levels (Helm's debug chatter) are dropped.
type warnHandler struct {
	c     *Client
	attrs []slog.Attr
	group string
}

func (h *warnHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.c.Warn != nil
}

func (h *warnHandler) Handle(_ context.Context, r slog.Record) error {
	if w := h.c.Warn; w != nil && r.Level >= slog.LevelWarn {
		w(warningLine(r, h.group, h.attrs))
	}
	return nil
}

func (h *warnHandler) WithAttrs(as []slog.Attr) slog.Handler {
	n := *h
	n.attrs = append(append([]slog.Attr(nil), h.attrs...), qualify(h.group, as)...)
	return &n
}

func (h *warnHandler) WithGroup(name string) slog.Handler {
	n := *h
	n.group = join(h.group, name)
	return &n
}

// warningLine is a record as one line of the stream: "Helm SDK warning:
// upgrade failed (name=web error=...)".
func warningLine(r slog.Record, group string, attrs []slog.Attr) string {
	var kv []string
	for _, a := range attrs {
		kv = append(kv, a.Key+"="+a.Value.String())
	}
	r.Attrs(func(a slog.Attr) bool {
		for _, q := range qualify(group, []slog.Attr{a}) {
			kv = append(kv, q.Key+"="+q.Value.String())
		}
		return true
	})
	level := "warning"
	if r.Level >= slog.LevelError {
		level = "error"
	}
	s := fmt.Sprintf("Helm SDK %s: %s", level, r.Message)
	if len(kv) > 0 {
		s += " (" + strings.Join(kv, " ") + ")"
	}
	return s
}

// qualify names attributes inside group ("group.key"), groups flattened.
func qualify(group string, as []slog.Attr) []slog.Attr {
	var out []slog.Attr
	for _, a := range as {
		if a.Value.Kind() == slog.KindGroup {
			out = append(out, qualify(join(group, a.Key), a.Value.Group())...)
			continue
		}
		out = append(out, slog.Attr{Key: join(group, a.Key), Value: a.Value.Resolve()})
	}
	return out
}

func join(group, key string) string {
	if group == "" {
		return key
	}
	if key == "" {
		return group
	}
	return group + "." + key
}

// sdkLog is slog's default handler once a Client is opened: a record goes
// to the Client whose operation is running when exactly one is (Helm logs
// through slog.Default only inside its actions), else to Fallback (a text
// handler on stderr, as slog's own default prints: a record kship cannot
// attribute to one release is not dropped).
type sdkLog struct {
	mu       sync.Mutex
	running  map[*Client]int
	fallback slog.Handler
}

var defaultLog = &sdkLog{running: map[*Client]int{}, fallback: slog.NewTextHandler(os.Stderr, nil)}

// routeDefaultLog makes defaultLog slog's default handler. slog.SetDefault
// also sends the log package's output through it; the log package is
// given back its own output, as it was.
func routeDefaultLog() {
	flags, prefix, out := log.Flags(), log.Prefix(), log.Writer()
	slog.SetDefault(slog.New(&routed{to: defaultLog}))
	log.SetOutput(out)
	log.SetFlags(flags)
	log.SetPrefix(prefix)
}

// run marks c's operation as running until the returned func is called.
func (l *sdkLog) run(c *Client) func() {
	l.mu.Lock()
	l.running[c]++
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		if l.running[c]--; l.running[c] <= 0 {
			delete(l.running, c)
		}
		l.mu.Unlock()
	}
}

// target is the handler of a record: the one running Client's, or the
// fallback.
func (l *sdkLog) target() slog.Handler {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.running) == 1 {
		for c := range l.running {
			if c.Warn != nil {
				return &warnHandler{c: c}
			}
		}
	}
	return l.fallback
}

// routed is a handler of slog's default logger: each record is sent to
// where defaultLog says at the time, with the attributes and groups of
// the logger it came through, in their order.
type routed struct {
	to   *sdkLog
	with []func(slog.Handler) slog.Handler
}

func (r *routed) Enabled(context.Context, slog.Level) bool { return true }

func (r *routed) Handle(ctx context.Context, rec slog.Record) error {
	h := r.to.target()
	for _, w := range r.with {
		h = w(h)
	}
	if !h.Enabled(ctx, rec.Level) {
		return nil
	}
	return h.Handle(ctx, rec)
}

func (r *routed) WithAttrs(as []slog.Attr) slog.Handler {
	return &routed{to: r.to, with: append(r.with[:len(r.with):len(r.with)], func(h slog.Handler) slog.Handler { return h.WithAttrs(as) })}
}

func (r *routed) WithGroup(name string) slog.Handler {
	return &routed{to: r.to, with: append(r.with[:len(r.with):len(r.with)], func(h slog.Handler) slog.Handler { return h.WithGroup(name) })}
}
