package helm

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// A Client's loggers turn Helm's warnings and errors into lines of the
// stream (attributes and groups kept) and drop its debug and info chatter.
func TestWarnHandler(t *testing.T) {
	var got []string
	c := &Client{Warn: func(msg string) { got = append(got, msg) }}
	l := slog.New(&warnHandler{c: c})
	l.Debug("checking resources for changes", "resources", 3)
	l.Info("installing")
	l.Warn("upgrade failed", slog.String("name", "web"), slog.Any("error", "timed out"))
	l.With("release", "web").WithGroup("hook").Error("hook failed", "kind", "Job")
	want := []string{
		"Helm SDK warning: upgrade failed (name=web error=timed out)",
		"Helm SDK error: hook failed (release=web hook.kind=Job)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// slog's default logger, which Helm also logs through, reaches the one
// Client whose operation runs; with none or several running it goes to the
// fallback (stderr), never to the wrong release's stream.
func TestDefaultLogRouting(t *testing.T) {
	var fallback bytes.Buffer
	l := &sdkLog{running: map[*Client]int{}, fallback: slog.NewTextHandler(&fallback, nil)}
	log := slog.New(&routed{to: l}).With("kind", "ConfigMap")
	var a, b []string
	ca := &Client{Name: "a", Warn: func(m string) { a = append(a, m) }}
	cb := &Client{Name: "b", Warn: func(m string) { b = append(b, m) }}

	log.Warn("outside any operation")
	doneA := l.run(ca)
	log.Warn("resource exists on cluster but not in original release", "name", "web-extra")
	log.Info("info is not a warning")
	doneB := l.run(cb)
	log.Warn("two operations run")
	doneB()
	doneA()
	log.Warn("after")

	if len(a) != 1 || a[0] != "Helm SDK warning: resource exists on cluster but not in original release (kind=ConfigMap name=web-extra)" {
		t.Errorf("client a got %q", a)
	}
	if len(b) != 0 {
		t.Errorf("client b got %q", b)
	}
	for _, want := range []string{"outside any operation", "two operations run", "after"} {
		if !strings.Contains(fallback.String(), want) {
			t.Errorf("fallback lacks %q:\n%s", want, fallback.String())
		}
	}
	if strings.Contains(fallback.String(), "web-extra") {
		t.Errorf("the running client's warning also reached the fallback:\n%s", fallback.String())
	}
}
