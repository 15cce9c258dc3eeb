package check

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// httpTimeout bounds one HTTP call of a check.
const httpTimeout = 10 * time.Second

// maxBody bounds the body of an answer that a check reads.
const maxBody = 1 << 20

// Response is the answer to one HTTP call.
type Response struct {
	Status int         // 200
	Header http.Header // its headers
	Body   string      // its body, whole
	Client string      // the caller's address as the service saw it (its RemoteAddr): 127.0.0.1:port
}

// String describes the answer in a few words, for messages:
// HTTP 200: {"v":3}.
func (r *Response) String() string {
	body := clip(strings.TrimSpace(r.Body))
	if body == "" {
		return fmt.Sprintf("HTTP %d with an empty body", r.Status)
	}
	return fmt.Sprintf("HTTP %d: %s", r.Status, body)
}

// Post sends body to the service's path with POST, as JSON, and reads the
// answer.
func (s *Service) Post(ctx context.Context, path, body string) (*Response, error) {
	return s.Do(ctx, http.MethodPost, path, "application/json", body)
}

// Get sends a GET to the service's path and reads the answer.
func (s *Service) Get(ctx context.Context, path string) (*Response, error) {
	return s.Do(ctx, http.MethodGet, path, "", "")
}

// Do sends one request to the service's HTTP address, on a connection of its
// own, and reads the answer. path may hold a query (/nope?x=1). The error
// says what was sent and why no answer came.
func (s *Service) Do(ctx context.Context, method, path, contentType, body string) (*Response, error) {
	var (
		mu     sync.Mutex
		client string
	)
	dialer := &net.Dialer{Timeout: httpTimeout}
	tr := &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err == nil {
				mu.Lock()
				client = c.LocalAddr().String()
				mu.Unlock()
			}
			return c, err
		},
	}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, httpTimeout)
	defer cancel()
	what := fmt.Sprintf("%s %s", method, path)
	if body != "" {
		what += " " + clip(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+s.HTTPAddr+path, strings.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s got no answer (%v); %s", what, err, s.LogExcerpt())
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("%s: the answer broke off (%v); %s", what, err, s.LogExcerpt())
	}
	mu.Lock()
	defer mu.Unlock()
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: string(b), Client: client}, nil
}
