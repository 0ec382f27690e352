package httpapi

import (
	"net/http/httptest"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 192.168.1.1")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, peer, xff, want string
	}{
		{"untrusted peer: header ignored", "203.0.113.9:1234", "1.2.3.4", "203.0.113.9"},
		{"trusted proxy: client from header", "10.1.2.3:1234", "198.51.100.7", "198.51.100.7"},
		{"spoofed left entries ignored", "10.1.2.3:1234", "1.1.1.1, 198.51.100.7", "198.51.100.7"},
		{"chain of trusted proxies skipped", "10.1.2.3:1234", "198.51.100.7, 192.168.1.1, 10.9.9.9", "198.51.100.7"},
		{"garbled hop stops the walk", "10.1.2.3:1234", "198.51.100.7, junk", "10.1.2.3"},
		{"trusted proxy without header", "10.1.2.3:1234", "", "10.1.2.3"},
		{"IPv6 peer", "[2001:db8::1]:443", "1.2.3.4", "2001:db8::1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/graphql", nil)
			r.RemoteAddr = c.peer
			if c.xff != "" {
				r.Header.Set("X-Forwarded-For", c.xff)
			}
			if got := trusted.ClientIP(r); got != c.want {
				t.Fatalf("ClientIP = %q, want %q", got, c.want)
			}
		})
	}
	if _, err := ParseTrustedProxies("not-an-ip"); err == nil {
		t.Fatal("accepted a bad proxy list")
	}
}
