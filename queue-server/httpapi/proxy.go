package httpapi

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// TrustedProxies are the reverse proxies whose X-Forwarded-For the server
// believes. Empty (the default): the client is the direct peer, and the
// header is ignored whoever sends it.
type TrustedProxies []netip.Prefix

// ParseTrustedProxies reads a comma-separated list of CIDR prefixes or
// single addresses ("10.0.0.0/8, 127.0.0.1, ::1").
func ParseTrustedProxies(s string) (TrustedProxies, error) {
	var out TrustedProxies
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: a CIDR prefix (10.0.0.0/8) or an address", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// Contains reports whether a is a trusted proxy.
func (t TrustedProxies) Contains(a netip.Addr) bool {
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHop reads one address of X-Forwarded-For or RemoteAddr: a bare
// address, or one with a port ("1.2.3.4:5678", "[::1]:80").
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// ClientAddr is the address a request is counted under by every limiter.
// The direct peer, unless it is a trusted proxy: then X-Forwarded-For is
// read from the right (each proxy appends the address it got the request
// from), skipping trusted hops; the first hop that is not a trusted proxy
// is the client. What lies left of it was written by the client and is
// never believed. A hop that does not parse ends the walk at the last
// trusted hop: the request is counted under that proxy, not a forged name.
func (t TrustedProxies) ClientAddr(remoteAddr string, xff []string) string {
	peer, ok := parseHop(remoteAddr)
	if !ok {
		if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
			return host
		}
		return remoteAddr
	}
	if len(t) == 0 || !t.Contains(peer) {
		return peer.String()
	}
	var hops []string
	for _, h := range xff {
		hops = append(hops, strings.Split(h, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break
		}
		client = a
		if !t.Contains(a) {
			break
		}
	}
	return client.String()
}

type clientAddrKey struct{}

// withClientAddr resolves the client's address once per request.
func (s *Server) withClientAddr(r *http.Request) *http.Request {
	addr := s.proxies.ClientAddr(r.RemoteAddr, r.Header.Values("X-Forwarded-For"))
	return r.WithContext(context.WithValue(r.Context(), clientAddrKey{}, addr))
}

// clientIP is the request's client address (ClientAddr): the one key of
// every per-address limit (login, booking, look-up, enrolment, challenges,
// event streams).
func clientIP(r *http.Request) string {
	if a, ok := r.Context().Value(clientAddrKey{}).(string); ok {
		return a
	}
	return TrustedProxies(nil).ClientAddr(r.RemoteAddr, nil)
}
