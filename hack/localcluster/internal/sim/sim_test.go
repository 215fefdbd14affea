package sim

import (
	"context"
	"strings"
	"testing"
)

func TestListenRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "10.1.2.3:80", ":8480", "localhost"} {
		if ln, err := listen(addr); err == nil {
			ln.Close()
			t.Errorf("listen(%q) succeeded, want a refusal", addr)
		}
	}
	ln, err := listen("127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen on loopback: %v", err)
	}
	ln.Close()
}

func TestRunNamesAMissingKubeconfig(t *testing.T) {
	err := Run(context.Background(), Options{Kubeconfig: "/nonexistent/kubeconfig", Listen: "127.0.0.1:0", LogDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/kubeconfig") {
		t.Fatalf("Run with a missing kubeconfig: %v, want an error naming it", err)
	}
}
