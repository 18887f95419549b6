// go_apid checks client certificates the way Talos's apid does, with Go's own crypto/x509 and crypto/tls:
// tls.X509KeyPair on the PEM pair as talosctl loads it, chain verification to the CA with ExtKeyUsageClientAuth,
// ExtKeyUsage exactly [clientAuth], roles from Subject O, and a real mTLS handshake (RequireAndVerifyClientCert).
//
// Usage: go run go_apid.go <dir>...   where each <dir> holds ca.pem and pairs N.crt / N.key (N = 0, 1, ...).
// Prints one JSON object per pair.
package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"
)

type result struct {
	Dir       string   `json:"dir"`
	Index     int      `json:"index"`
	KeyPair   string   `json:"keypair"`
	Verify    string   `json:"verify"`
	EKU       string   `json:"eku"`
	Roles     []string `json:"roles"`
	CN        string   `json:"cn"`
	Handshake string   `json:"handshake"`
	PeerRoles []string `json:"peer_roles"`
}

func roles(c *x509.Certificate) []string {
	out := []string{}
	for _, o := range c.Subject.Organization {
		if t := strings.TrimSpace(o); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func serverCert() tls.Certificate {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "apid"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		panic(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv}
}

// handshake runs one mTLS connection and returns the roles the server saw.
func handshake(pool *x509.CertPool, client tls.Certificate) ([]string, error) {
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{serverCert()},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
	})
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	type seen struct {
		roles []string
		err   error
	}
	ch := make(chan seen, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			ch <- seen{nil, err}
			return
		}
		defer conn.Close()
		tc := conn.(*tls.Conn)
		if err := tc.Handshake(); err != nil {
			ch <- seen{nil, err}
			return
		}
		ch <- seen{roles(tc.ConnectionState().PeerCertificates[0]), nil}
	}()
	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{
		Certificates: []tls.Certificate{client}, InsecureSkipVerify: true, // the server side is not under test
	})
	if err == nil {
		_ = conn.Handshake()
		conn.Close()
	}
	s := <-ch
	return s.roles, s.err
}

func main() {
	enc := json.NewEncoder(os.Stdout)
	for _, dir := range os.Args[1:] {
		check(dir, enc)
	}
}

func check(dir string, enc *json.Encoder) {
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		panic("no CA certificate")
	}
	for i := 0; ; i++ {
		crt, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%d.crt", i)))
		if err != nil {
			break
		}
		key, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%d.key", i)))
		r := result{Dir: filepath.Base(dir), Index: i, KeyPair: "ok", Verify: "ok", EKU: "ok", Handshake: "ok", Roles: []string{}}
		pair, err := tls.X509KeyPair(crt, key)
		if err != nil {
			r.KeyPair = err.Error()
			enc.Encode(r)
			continue
		}
		leaf, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			r.Verify = err.Error()
			enc.Encode(r)
			continue
		}
		r.Roles, r.CN = roles(leaf), leaf.Subject.CommonName
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			r.Verify = err.Error()
		}
		if len(leaf.ExtKeyUsage) != 1 || leaf.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth || len(leaf.UnknownExtKeyUsage) > 0 {
			r.EKU = fmt.Sprintf("ExtKeyUsage must be exactly [clientAuth], got %v", leaf.ExtKeyUsage)
		}
		if r.PeerRoles, err = handshake(pool, pair); err != nil {
			r.Handshake = err.Error()
		}
		enc.Encode(r)
	}
}
