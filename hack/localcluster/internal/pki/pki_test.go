package pki

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"testing"
)

func TestGenerateWritesAChainTheAPIServerAndClientsAccept(t *testing.T) {
	f, err := Generate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	caPEM, _ := os.ReadFile(f.CACert)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("ca.crt holds no certificate")
	}
	serving, err := tls.LoadX509KeyPair(f.ServingCert, f.ServingKey)
	if err != nil {
		t.Fatalf("serving pair: %v", err)
	}
	leaf, _ := x509.ParseCertificate(serving.Certificate[0])
	for _, host := range []string{"127.0.0.1", "localhost", "kubernetes.default.svc"} {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: pool}); err != nil {
			t.Errorf("serving certificate for %s: %v", host, err)
		}
	}
	admin, err := tls.LoadX509KeyPair(f.AdminCert, f.AdminKey)
	if err != nil {
		t.Fatalf("admin pair: %v", err)
	}
	a, _ := x509.ParseCertificate(admin.Certificate[0])
	if _, err := a.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("admin certificate: %v", err)
	}
	if len(a.Subject.Organization) != 1 || a.Subject.Organization[0] != "system:masters" {
		t.Errorf("admin certificate groups %v, want [system:masters]", a.Subject.Organization)
	}
	for _, p := range []string{f.SAPublic, f.SAPrivate} {
		data, _ := os.ReadFile(p)
		if b, _ := pem.Decode(data); b == nil {
			t.Errorf("%s: no PEM block", p)
		}
	}
	if st, _ := os.Stat(f.SAPrivate); st.Mode().Perm() != 0o600 {
		t.Errorf("%s mode %v, want 0600", f.SAPrivate, st.Mode().Perm())
	}
}
