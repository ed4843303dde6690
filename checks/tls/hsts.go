package tls

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// hsts asks an HTTPS endpoint for its home page headers.
func (s *scanner) hsts(ctx context.Context) (*HSTSInfo, error) {
	tc, err := s.goConn(ctx, []string{"http/1.1"})
	if err != nil {
		return nil, err
	}
	defer tc.Close()
	host := s.ep.ServerName
	if host == "" {
		host = s.ep.Host
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
	}
	if s.ep.Port != 443 {
		host += ":" + strconv.Itoa(s.ep.Port)
	}
	_ = tc.SetDeadline(time.Now().Add(s.opt.Step))
	req := "GET / HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: Vigie\r\nAccept: */*\r\nConnection: close\r\n\r\n"
	if _, err := io.WriteString(tc, req); err != nil {
		return nil, fmt.Errorf("HTTP request: %w", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(io.LimitReader(tc, 64<<10)), nil)
	if err != nil {
		return nil, fmt.Errorf("HTTP response: %w", err)
	}
	resp.Body.Close()
	h := &HSTSInfo{Status: resp.StatusCode, Header: resp.Header.Get("Strict-Transport-Security")}
	h.MaxAge, h.IncludeSubDomains, h.Preload = parseHSTS(h.Header)
	return h, nil
}

// parseHSTS reads a Strict-Transport-Security value (RFC 6797 6.1);
// max-age is -1 when absent or invalid.
func parseHSTS(v string) (maxAge int64, sub, preload bool) {
	maxAge = -1
	for _, d := range strings.Split(v, ";") {
		name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "max-age":
			n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(val), `"`), 10, 64)
			if err == nil && n >= 0 {
				maxAge = n
			}
		case "includesubdomains":
			sub = true
		case "preload":
			preload = true
		}
	}
	return maxAge, sub, preload
}
