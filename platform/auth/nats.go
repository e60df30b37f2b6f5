package auth

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// NATS users and permissions. Every NATS client authenticates with its TLS client certificate
// (nats-server's verify_and_map): the user is the certificate's spiffe:// URI. Each service may
// publish only its own events (sanbao.<service>.>), manage only its own stream, and read only
// the streams it consumes, through the durable consumers named here; an integrator may read
// every stream and publish nothing. Subjects outside these lists are denied by the server.

// NATSConsumer is a durable JetStream consumer a service reads another service's stream with.
type NATSConsumer struct {
	Stream  string // the producer's stream, e.g. "DISPATCH"
	Durable string // the consumer's durable name, e.g. "ticket-jobs"
}

// Consumes declares what each service consumes (must match the services' p.Consume calls).
var Consumes = map[string][]NATSConsumer{
	"ticket":    {{Stream: "DISPATCH", Durable: "ticket-jobs"}, {Stream: "WARRANTY", Durable: "ticket-units"}, {Stream: "WARRANTY", Durable: "ticket-campaigns"}},
	"warranty":  {{Stream: "DISPATCH", Durable: "warranty-visits"}, {Stream: "INVENTORY", Durable: "warranty-appraisals"}, {Stream: "INVENTORY", Durable: "warranty-inventory"}},
	"dispatch":  nil,
	"inventory": {{Stream: "DISPATCH", Durable: "inventory-job-cancelled"}},
}

// Declared reports whether service's consumer c is in Consumes (the daemon refuses to start a
// service with an undeclared consumer: NATS would refuse it).
func Declared(service string, c NATSConsumer) bool {
	for _, d := range Consumes[service] {
		if d == c {
			return true
		}
	}
	return false
}

// Services are the services that have a NATS user, in a stable order.
var Services = []string{"ticket", "warranty", "dispatch", "inventory"}

// NATSPermission is one direction's allow and deny lists.
type NATSPermission struct {
	Allow []string
	Deny  []string
}

// NATSUser is a NATS user named by a certificate URI, with its permissions.
type NATSUser struct {
	Name      string // the certificate's URI SAN, e.g. spiffe://sanbao/service/ticket
	Publish   NATSPermission
	Subscribe NATSPermission
}

// IntegratorURI names integrator name's certificate: spiffe://<trust domain>/integrator/<name>.
func IntegratorURI(trustDomain, name string) *url.URL {
	return &url.URL{Scheme: "spiffe", Host: trustDomain, Path: "/integrator/" + name}
}

func streamOf(service string) string { return strings.ToUpper(service) }

// ServiceNATSUser is service's NATS user.
func ServiceNATSUser(trustDomain, service string) NATSUser {
	own := streamOf(service)
	pub := []string{
		"sanbao." + service + ".>", // its own events, and nobody else's
		"$JS.API.INFO",
		"$JS.API.STREAM.CREATE." + own,
		"$JS.API.STREAM.UPDATE." + own,
		"$JS.API.STREAM.INFO." + own,
	}
	for _, c := range Consumes[service] {
		pub = append(pub,
			"$JS.API.STREAM.INFO."+c.Stream,
			"$JS.API.CONSUMER.CREATE."+c.Stream+"."+c.Durable,
			"$JS.API.CONSUMER.CREATE."+c.Stream+"."+c.Durable+".>",
			"$JS.API.CONSUMER.DURABLE.CREATE."+c.Stream+"."+c.Durable,
			"$JS.API.CONSUMER.INFO."+c.Stream+"."+c.Durable,
			"$JS.API.CONSUMER.MSG.NEXT."+c.Stream+"."+c.Durable,
			"$JS.ACK."+c.Stream+"."+c.Durable+".>",
		)
	}
	return NATSUser{
		Name:      ServiceURI(trustDomain, service).String(),
		Publish:   NATSPermission{Allow: pub},
		Subscribe: NATSPermission{Allow: []string{"_INBOX.>"}},
	}
}

// IntegratorNATSUser is a read-only user: it may follow every event (live, or replayed through
// its own consumers) and publish none; it may not touch the services' durable consumers.
func IntegratorNATSUser(trustDomain, name string) NATSUser {
	var deny []string
	for _, svc := range Services {
		for _, c := range Consumes[svc] {
			deny = append(deny,
				"$JS.API.CONSUMER.*."+c.Stream+"."+c.Durable,
				"$JS.API.CONSUMER.*."+c.Stream+"."+c.Durable+".>",
				"$JS.API.CONSUMER.*.*."+c.Stream+"."+c.Durable,
				"$JS.ACK."+c.Stream+"."+c.Durable+".>")
		}
	}
	return NATSUser{
		Name: IntegratorURI(trustDomain, name).String(),
		Publish: NATSPermission{Allow: []string{
			"$JS.API.INFO", "$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST", "$JS.API.STREAM.INFO.*",
			"$JS.API.STREAM.MSG.GET.*", "$JS.API.DIRECT.GET.>",
			"$JS.API.CONSUMER.CREATE.>", "$JS.API.CONSUMER.INFO.>", "$JS.API.CONSUMER.DELETE.>",
			"$JS.API.CONSUMER.MSG.NEXT.>", "$JS.ACK.>", "$JS.FC.>",
		}, Deny: deny},
		Subscribe: NATSPermission{Allow: []string{"sanbao.>", "_INBOX.>"}},
	}
}

// NATSUsers are the users of a Sanbao NATS: the four services and the named integrators.
func NATSUsers(trustDomain string, integrators ...string) []NATSUser {
	var us []NATSUser
	for _, s := range Services {
		us = append(us, ServiceNATSUser(trustDomain, s))
	}
	sort.Strings(integrators)
	for _, i := range integrators {
		us = append(us, IntegratorNATSUser(trustDomain, i))
	}
	return us
}

// NATSAuthorization renders users as nats-server configuration (the authorization block of
// nats.conf; the tls block must set verify_and_map: true).
func NATSAuthorization(users []NATSUser) string {
	var b strings.Builder
	b.WriteString("authorization {\n  users = [\n")
	for _, u := range users {
		fmt.Fprintf(&b, "    {\n      user: %q\n      permissions: {\n", u.Name)
		writePerm(&b, "publish", u.Publish)
		writePerm(&b, "subscribe", u.Subscribe)
		b.WriteString("      }\n    }\n")
	}
	b.WriteString("  ]\n}\n")
	return b.String()
}

func writePerm(b *strings.Builder, name string, p NATSPermission) {
	fmt.Fprintf(b, "        %s: {\n", name)
	list := func(key string, xs []string) {
		if len(xs) == 0 {
			return
		}
		q := make([]string, len(xs))
		for i, x := range xs {
			q[i] = fmt.Sprintf("%q", x)
		}
		fmt.Fprintf(b, "          %s: [%s]\n", key, strings.Join(q, ", "))
	}
	list("allow", p.Allow)
	list("deny", p.Deny)
	b.WriteString("        }\n")
}
