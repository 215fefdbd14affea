// Package pki generates the local control plane's credentials: a CA, the
// API server's serving certificate, an admin client certificate
// (system:masters) and the service-account signing key pair, all written as
// PEM files into one folder.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Files are the paths of the generated credentials.
type Files struct {
	CACert, CAKey           string
	ServingCert, ServingKey string
	AdminCert, AdminKey     string
	SAPublic, SAPrivate     string
}

// FilesIn returns the credential paths inside dir.
func FilesIn(dir string) Files {
	p := func(n string) string { return filepath.Join(dir, n) }
	return Files{
		CACert: p("ca.crt"), CAKey: p("ca.key"),
		ServingCert: p("apiserver.crt"), ServingKey: p("apiserver.key"),
		AdminCert: p("admin.crt"), AdminKey: p("admin.key"),
		SAPublic: p("sa.pub"), SAPrivate: p("sa.key"),
	}
}

// validity is how long generated certificates are valid.
const validity = 365 * 24 * time.Hour

// Generate writes a fresh set of credentials into dir.
func Generate(dir string) (Files, error) {
	f := FilesIn(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return f, fmt.Errorf("create pki dir: %w", err)
	}
	ca, caKey, err := newCA()
	if err != nil {
		return f, err
	}
	if err := writeCert(f.CACert, f.CAKey, ca, caKey); err != nil {
		return f, err
	}
	serving := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		DNSNames:    []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv4(10, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if err := issue(f.ServingCert, f.ServingKey, serving, ca, caKey); err != nil {
		return f, fmt.Errorf("serving certificate: %w", err)
	}
	admin := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kship-admin", Organization: []string{"system:masters"}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if err := issue(f.AdminCert, f.AdminKey, admin, ca, caKey); err != nil {
		return f, fmt.Errorf("admin certificate: %w", err)
	}
	if err := writeSAKeys(f.SAPublic, f.SAPrivate); err != nil {
		return f, fmt.Errorf("service-account keys: %w", err)
	}
	return f, nil
}

// newCA returns a self-signed CA certificate and its key.
func newCA() (*x509.Certificate, crypto.Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate ca key: %w", err)
	}
	tmpl := template(pkix.Name{CommonName: "kship-localcluster-ca"})
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("sign ca certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("parse ca certificate: %w", err)
	}
	return ca, key, nil
}

// issue signs leaf with ca and writes certificate and key.
func issue(certPath, keyPath string, leaf, ca *x509.Certificate, caKey crypto.Signer) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	tmpl := template(leaf.Subject)
	tmpl.DNSNames, tmpl.IPAddresses, tmpl.ExtKeyUsage = leaf.DNSNames, leaf.IPAddresses, leaf.ExtKeyUsage
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		return fmt.Errorf("sign %s: %w", leaf.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("parse %s: %w", leaf.Subject.CommonName, err)
	}
	return writeCert(certPath, keyPath, cert, key)
}

// template returns a certificate template with a random serial number.
func template(subject pkix.Name) *x509.Certificate {
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      subject,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(validity),
	}
}

// writeSAKeys writes an RSA key pair for signing service-account tokens.
func writeSAKeys(pubPath, privPath string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return fmt.Errorf("marshal public key: %w", err)
	}
	if err := writePEM(pubPath, "PUBLIC KEY", pub, 0o644); err != nil {
		return err
	}
	return writePEM(privPath, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key), 0o600)
}

// writeCert writes cert and its ECDSA key as PEM files.
func writeCert(certPath, keyPath string, cert *x509.Certificate, key crypto.Signer) error {
	if err := writePEM(certPath, "CERTIFICATE", cert.Raw, 0o644); err != nil {
		return err
	}
	der, err := x509.MarshalECPrivateKey(key.(*ecdsa.PrivateKey))
	if err != nil {
		return fmt.Errorf("marshal key %s: %w", keyPath, err)
	}
	return writePEM(keyPath, "EC PRIVATE KEY", der, 0o600)
}

// writePEM writes one PEM block to path.
func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	data := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if err := os.WriteFile(path, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
