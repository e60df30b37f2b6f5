package auth

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// DefaultTrustDomain is the trust domain of service identities unless configured otherwise.
const DefaultTrustDomain = "sanbao"

// ServiceURI is the URI SAN that names service name in a certificate:
// spiffe://<trust domain>/service/<name> (the SPIFFE form cert-manager's csi-driver-spiffe and
// istio also issue).
func ServiceURI(trustDomain, name string) *url.URL {
	return &url.URL{Scheme: "spiffe", Host: trustDomain, Path: "/service/" + name}
}

// ErrNoServiceIdentity is returned for a verified certificate that names no service of the
// trust domain.
var ErrNoServiceIdentity = errors.New("certificate names no Sanbao service")

// ServiceName returns the service a verified peer certificate names in its URI SAN.
func ServiceName(cert *x509.Certificate, trustDomain string) (string, error) {
	for _, u := range cert.URIs {
		if u.Scheme != "spiffe" || u.Host != trustDomain {
			continue
		}
		if name, ok := strings.CutPrefix(u.Path, "/service/"); ok && name != "" && !strings.Contains(name, "/") {
			return name, nil
		}
	}
	return "", fmt.Errorf("%w (trust domain %q)", ErrNoServiceIdentity, trustDomain)
}

// serviceCaller is the caller a service's certificate makes.
func serviceCaller(name string) *Caller {
	return &Caller{Subject: "service:" + name, Kind: KindService, Roles: []Role{ServiceRole(name)}}
}
