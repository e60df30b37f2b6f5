package ratelimit

import (
	"net/http/httptest"
	"testing"
)

func TestClientAddr(t *testing.T) {
	trusted, err := ParseProxies("10.0.0.0/8, 192.168.1.7 ,::1")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		proxies Proxies
		peer    string
		xff     []string
		want    string
	}{
		{"no proxy trusted: the peer, header ignored", nil, "203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9"},
		{"a spoofed header from an untrusted peer is ignored", trusted, "203.0.113.9:5000", []string{"10.1.1.1, 198.51.100.1"}, "203.0.113.9"},
		{"behind the console", trusted, "192.168.1.7:443", []string{"198.51.100.1"}, "198.51.100.1"},
		{"behind a gateway and the console", trusted, "192.168.1.7:443", []string{"198.51.100.1, 10.2.3.4"}, "198.51.100.1"},
		{"a client's own prefix is not believed", trusted, "192.168.1.7:443", []string{"1.2.3.4, 198.51.100.1, 10.2.3.4"}, "198.51.100.1"},
		{"several header lines", trusted, "192.168.1.7:443", []string{"1.2.3.4", "198.51.100.1"}, "198.51.100.1"},
		{"a malformed hop ends the walk", trusted, "192.168.1.7:443", []string{"1.2.3.4, garbage, 10.9.9.9"}, "10.9.9.9"},
		{"a trusted peer without a header", trusted, "10.0.0.5:1", nil, "10.0.0.5"},
		{"IPv6 loopback console", trusted, "[::1]:8080", []string{"2001:db8::7"}, "2001:db8::7"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := tc.proxies.ClientAddr(r); got != tc.want {
				t.Errorf("ClientAddr = %q, want %q", got, tc.want)
			}
		})
	}
	for _, bad := range []string{"10.0.0.0/33", "not-an-ip", "10.0.0.1/x"} {
		if _, err := ParseProxies(bad); err == nil {
			t.Errorf("ParseProxies(%q) took it", bad)
		}
	}
}
