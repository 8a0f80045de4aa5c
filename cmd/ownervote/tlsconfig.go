package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"
)

// serverTLS loads the server's certificate and key and, when clientCA is
// given, requires client certificates signed by one of its CAs (for the
// city platform's integration). It returns nil when no certificate is
// given.
func serverTLS(certFile, keyFile, clientCA string) (*tls.Config, error) {
	if certFile == "" && keyFile == "" {
		if clientCA != "" {
			return nil, fmt.Errorf("%w: --client-ca needs --tls-cert and --tls-key", errUsage)
		}
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, fmt.Errorf("%w: give both --tls-cert and --tls-key", errUsage)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if clientCA != "" {
		pool, err := loadPool(clientCA)
		if err != nil {
			return nil, fmt.Errorf("--client-ca: %w", err)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// loadPool reads PEM certificates into a pool.
func loadPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}

// clientTLSFlags are how a command that calls the server reaches it over
// TLS: --ca trusts a private CA (the system's roots otherwise), --cert and
// --key present a client certificate.
type clientTLSFlags struct{ ca, cert, key *string }

func addClientTLSFlags(fl *flag.FlagSet) clientTLSFlags {
	return clientTLSFlags{
		ca:   fl.String("ca", "", "PEM file of the CA that signed the server's certificate (default: the system's roots)"),
		cert: fl.String("cert", "", "client certificate (PEM), when the server requires one"),
		key:  fl.String("key", "", "client certificate's key (PEM)"),
	}
}

// config is the TLS configuration the flags give, nil when none is given.
func (f clientTLSFlags) config() (*tls.Config, error) {
	if *f.ca == "" && *f.cert == "" && *f.key == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if *f.ca != "" {
		pool, err := loadPool(*f.ca)
		if err != nil {
			return nil, fmt.Errorf("--ca: %w", err)
		}
		cfg.RootCAs = pool
	}
	if *f.cert != "" || *f.key != "" {
		if *f.cert == "" || *f.key == "" {
			return nil, fmt.Errorf("%w: give both --cert and --key", errUsage)
		}
		cert, err := tls.LoadX509KeyPair(*f.cert, *f.key)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// httpClient is an HTTP client with the given TLS configuration (nil for
// the defaults) and no overall timeout: a backup of a large database may
// take minutes.
func httpClient(cfg *tls.Config) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if cfg != nil {
		tr.TLSClientConfig = cfg
	}
	tr.ResponseHeaderTimeout = time.Minute
	return &http.Client{Transport: tr}
}
