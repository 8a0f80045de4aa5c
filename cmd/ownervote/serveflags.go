package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/ownervote/ownervote/server"
)

// serveSecurityFlags are serve's flags for TLS, listening beyond loopback
// and limits.
type serveSecurityFlags struct {
	tlsCert, tlsKey, clientCA *string
	insecureListenAny         *bool
	maxRequestBytes           *int
	rateLimit                 *float64
	rateBurst                 *int
	platformRate              *float64
	requestTimeout            *time.Duration
}

func addServeSecurityFlags(fl *flag.FlagSet) *serveSecurityFlags {
	return &serveSecurityFlags{
		tlsCert:  fl.String("tls-cert", "", "PEM certificate (chain) to serve both APIs over TLS"),
		tlsKey:   fl.String("tls-key", "", "PEM private key of --tls-cert"),
		clientCA: fl.String("client-ca", "", "PEM CA certificates: require client certificates signed by them on both APIs (needs --tls-cert)"),
		insecureListenAny: fl.Bool("insecure-listen-any", false,
			"allow listening on a non-loopback address without TLS (tokens and owners' data then cross the network in plain text)"),
		maxRequestBytes: fl.Int("max-request-bytes", server.DefaultMaxRequestBytes, "largest request accepted: a gRPC message or a JSON body"),
		rateLimit:       fl.Float64("rate-limit", server.DefaultTokenRate, "requests per second one token may make, sustained (0: no limit)"),
		rateBurst:       fl.Int("rate-burst", server.DefaultTokenBurst, "requests one token may make at once above --rate-limit"),
		platformRate:    fl.Float64("platform-rate-limit", server.DefaultPlatformRate, "--rate-limit for PLATFORM tokens, which relay a whole city's ballots (0: no limit)"),
		requestTimeout:  fl.Duration("request-timeout", server.DefaultRequestTimeout, "deadline of a call whose client set none (0: none; streams never get one)"),
	}
}

// apply sets the flags' values in cfg.
func (f *serveSecurityFlags) apply(cfg *server.Config) error {
	tlsCfg, err := serverTLS(*f.tlsCert, *f.tlsKey, *f.clientCA)
	if err != nil {
		return err
	}
	cfg.TLS = tlsCfg
	cfg.InsecureListenAny = *f.insecureListenAny
	if *f.maxRequestBytes <= 0 {
		return fmt.Errorf("%w: --max-request-bytes must be positive", errUsage)
	}
	if *f.rateLimit < 0 || *f.platformRate < 0 || *f.rateBurst <= 0 || *f.requestTimeout < 0 {
		return fmt.Errorf("%w: --rate-limit, --platform-rate-limit and --request-timeout must not be negative, --rate-burst must be positive", errUsage)
	}
	cfg.Limits = server.Limits{MaxRequestBytes: *f.maxRequestBytes, TokenRate: *f.rateLimit, TokenBurst: *f.rateBurst,
		PlatformRate: *f.platformRate, RequestTimeout: *f.requestTimeout}
	if *f.platformRate == 0 {
		cfg.Limits.PlatformRate = -1
	}
	// In server.Limits zero means "the default"; on the command line it
	// means "none".
	if *f.rateLimit == 0 {
		cfg.Limits.TokenRate = -1
	}
	if *f.requestTimeout == 0 {
		cfg.Limits.RequestTimeout = -1
	}
	return nil
}
