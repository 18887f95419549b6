// Command go_peer is the benchmark's yardstick: a Go standard-library server doing the original tool's per-request
// work for POST /exchange, written for tests/bench/peer_bench.ts (issue 16). Standard library only (Go 1.19).
//
// Per request: read the JSON body (64 KiB cap), split the JWT, decode header and payload, verify RS256 with
// crypto/rsa against a JWKS fetched once at start, check iss, aud and exp, map `groups` to roles (default roles when
// no group matches), make an Ed25519 key, a 128-bit serial and a certificate with x509.CreateCertificate (O = roles,
// CN = email, EKU clientAuth, NotBefore -1 min, 5 min TTL), PEM-encode certificate and PKCS#8 key, append one JSON
// audit line to a file (mutex, flush), answer JSON. GOMAXPROCS as the runtime picks it.
//
//	go_peer -listen 127.0.0.1:0 -issuer http://127.0.0.1:PORT -client-id talosctl -ca-cert ca.pem -ca-key key.pem \
//	        -audit audit.jsonl [-tls-cert server.crt -tls-key server.key]
//
// Prints one line `listening on http(s)://host:port` once it accepts connections.
package main

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

const maxBody = 64 << 10

type server struct {
	issuer, clientID string
	keys             map[string]*rsa.PublicKey
	caCert           *x509.Certificate
	caPEM            string
	caKey            crypto.Signer
	roleOf           map[string]string
	defaultRoles     []string
	endpoints        []string
	auditMu          sync.Mutex
	audit            *bufio.Writer
	auditFile        *os.File
}

type claims struct {
	Iss    string      `json:"iss"`
	Sub    string      `json:"sub"`
	Email  string      `json:"email"`
	Aud    interface{} `json:"aud"`
	Exp    *float64    `json:"exp"`
	Groups []string    `json:"groups"`
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	issuer := flag.String("issuer", "", "OIDC issuer URL (discovery, then JWKS, fetched once)")
	clientID := flag.String("client-id", "talosctl", "expected audience")
	caCertPath := flag.String("ca-cert", "", "Talos CA certificate (PEM)")
	caKeyPath := flag.String("ca-key", "", "Talos CA key (PKCS#8 PEM, any label)")
	auditPath := flag.String("audit", "", "audit log file")
	tlsCert := flag.String("tls-cert", "", "server certificate (PEM); plain HTTP without it")
	tlsKey := flag.String("tls-key", "", "server key (PEM)")
	flag.Parse()

	s := &server{
		issuer:       *issuer,
		clientID:     *clientID,
		roleOf:       map[string]string{"talos-admins": "os:admin", "talos-readers": "os:reader"},
		defaultRoles: []string{"os:admin"},
		endpoints:    []string{"127.0.0.1"},
	}
	var err error
	if s.keys, err = fetchJWKS(*issuer); err != nil {
		log.Fatalf("jwks: %v", err)
	}
	if err = s.loadCA(*caCertPath, *caKeyPath); err != nil {
		log.Fatalf("ca: %v", err)
	}
	if s.auditFile, err = os.OpenFile(*auditPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err != nil {
		log.Fatalf("audit: %v", err)
	}
	s.audit = bufio.NewWriter(s.auditFile)

	mux := http.NewServeMux()
	mux.HandleFunc("/exchange", s.exchange)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 60 * time.Second}
	scheme := "http"
	if *tlsCert != "" {
		scheme = "https"
	}
	fmt.Printf("listening on %s://%s\n", scheme, ln.Addr())
	if *tlsCert != "" {
		err = srv.ServeTLS(ln, *tlsCert, *tlsKey)
	} else {
		err = srv.Serve(ln)
	}
	log.Fatal(err)
}

func fetchJWKS(issuer string) (map[string]*rsa.PublicKey, error) {
	var disc struct {
		JwksURI string `json:"jwks_uri"`
	}
	if err := getJSON(strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration", &disc); err != nil {
		return nil, err
	}
	var set struct {
		Keys []struct{ Kty, Kid, N, E string } `json:"keys"`
	}
	if err := getJSON(disc.JwksURI, &set); err != nil {
		return nil, err
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil {
			continue
		}
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	if len(keys) == 0 {
		return nil, errors.New("no RSA keys in the JWKS")
	}
	return keys, nil
}

func getJSON(url string, into interface{}) error {
	res, err := http.Get(url)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, res.Status)
	}
	return json.NewDecoder(res.Body).Decode(into)
}

func (s *server) loadCA(certPath, keyPath string) error {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return err
	}
	block, _ := pem.Decode(certPEM)
	if block == nil {
		return errors.New("no PEM certificate")
	}
	if s.caCert, err = x509.ParseCertificate(block.Bytes); err != nil {
		return err
	}
	s.caPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: block.Bytes}))
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return err
	}
	kb, _ := pem.Decode(keyPEM) // Talos labels its Ed25519 key "ED25519 PRIVATE KEY"; the DER is PKCS#8
	if kb == nil {
		return errors.New("no PEM key")
	}
	key, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return err
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return errors.New("the CA key cannot sign")
	}
	s.caKey = signer
	return nil
}

func fail(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func (s *server) exchange(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		fail(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		fail(w, http.StatusRequestEntityTooLarge, "request body too large or unreadable")
		return
	}
	var req struct {
		IDToken string `json:"id_token"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		fail(w, http.StatusBadRequest, "invalid JSON")
		return
	}
	if req.IDToken == "" {
		fail(w, http.StatusBadRequest, "id_token is required")
		return
	}
	c, err := s.verify(req.IDToken)
	if err != nil {
		fail(w, http.StatusUnauthorized, "invalid token")
		return
	}
	roles := s.rolesOf(c.Groups)
	certPEM, keyPEM, notAfter, fingerprint, err := s.issue(roles, c.Email)
	if err != nil {
		fail(w, http.StatusInternalServerError, "failed to generate certificate")
		return
	}
	out, _ := json.Marshal(map[string]interface{}{
		"ca": s.caPEM, "cert": certPEM, "key": keyPEM, "endpoints": s.endpoints, "ttl_seconds": 300,
	})
	s.writeAudit(map[string]interface{}{
		"timestamp": time.Now().UTC().Format(time.RFC3339Nano), "type": "cert_issued", "subject": c.Sub,
		"email": c.Email, "issuer": c.Iss, "client_ip": r.RemoteAddr, "roles": roles, "cert_ttl": "5m0s",
		"cert_expiry": notAfter.Format(time.RFC3339), "cert_fingerprint": fingerprint,
		"event.category": "authentication", "event.outcome": "success", "event.action": "token-exchange",
		"severity": "INFO",
	})
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
}

func (s *server) verify(token string) (*claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWS")
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, err
	}
	var h struct{ Alg, Kid string }
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, err
	}
	if h.Alg != "RS256" {
		return nil, errors.New("alg")
	}
	key := s.keys[h.Kid]
	if key == nil {
		return nil, errors.New("unknown kid")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig); err != nil {
		return nil, err
	}
	pb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	var c claims
	if err := json.Unmarshal(pb, &c); err != nil {
		return nil, err
	}
	if c.Iss != s.issuer || !audHas(c.Aud, s.clientID) || c.Exp == nil || time.Now().Unix() >= int64(*c.Exp) {
		return nil, errors.New("claims")
	}
	return &c, nil
}

func audHas(aud interface{}, want string) bool {
	switch a := aud.(type) {
	case string:
		return a == want
	case []interface{}:
		for _, v := range a {
			if v == want {
				return true
			}
		}
	}
	return false
}

func (s *server) rolesOf(groups []string) []string {
	var roles []string
	for _, g := range groups {
		if r, ok := s.roleOf[g]; ok {
			roles = append(roles, r)
		}
	}
	if len(roles) == 0 {
		return s.defaultRoles
	}
	return roles
}

func (s *server) issue(roles []string, email string) (string, string, time.Time, string, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", time.Time{}, "", err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return "", "", time.Time{}, "", err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: roles, CommonName: email},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(5 * time.Minute),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, s.caCert, pub, s.caKey)
	if err != nil {
		return "", "", time.Time{}, "", err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", "", time.Time{}, "", err
	}
	fp := sha256.Sum256(der)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})),
		tmpl.NotAfter, hex.EncodeToString(fp[:]), nil
}

func (s *server) writeAudit(event map[string]interface{}) {
	var line bytes.Buffer
	json.NewEncoder(&line).Encode(event) // one line, newline included
	s.auditMu.Lock()
	defer s.auditMu.Unlock()
	s.audit.Write(line.Bytes())
	s.audit.Flush()
}
