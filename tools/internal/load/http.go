package load

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// The request that the HTTP load sends, and the answer it expects.
const (
	httpBody = `{"a":1,"b":2}`
	httpWant = "{\"v\":3}\n"
)

// httpWorkers returns n workers that POST /sum to addr, each on a kept-alive
// connection of its own.
//
// They speak HTTP/1.1 over plain TCP with a request written once, rather
// than through net/http's client, so that the generator costs less processor
// time per request than the fastest step: measured on a 2-core VM, net/http
// (through tsenart/vegeta) took 39 µs of processor time a request and this
// 22 µs, most of it the two system calls that any client makes.
func httpWorkers(addr string, n int) []worker {
	req := []byte("POST /sum HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\n" +
		"Content-Length: " + strconv.Itoa(len(httpBody)) + "\r\n\r\n" + httpBody)
	workers := make([]worker, n)
	for i := range workers {
		c := &httpConn{addr: addr, req: req}
		workers[i] = c.do
	}
	return workers
}

// httpConn is one load generator's connection; it redials after a failure.
type httpConn struct {
	addr string
	req  []byte
	conn net.Conn
	r    *bufio.Reader
	body []byte
}

func (c *httpConn) do(ctx context.Context) error {
	if c.conn == nil {
		d := net.Dialer{Timeout: 5 * time.Second}
		conn, err := d.DialContext(ctx, "tcp", c.addr)
		if err != nil {
			return err
		}
		c.conn, c.r = conn, bufio.NewReaderSize(conn, 4096)
	}
	err := c.roundTrip()
	if err != nil {
		c.conn.Close()
		c.conn = nil
	}
	return err
}

// roundTrip writes the request and reads the whole answer, which must be
// 200 with the expected body.
func (c *httpConn) roundTrip() error {
	_ = c.conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.conn.Write(c.req); err != nil {
		return err
	}
	status, err := c.r.ReadSlice('\n')
	if err != nil {
		return err
	}
	ok := bytes.HasPrefix(status, []byte("HTTP/1.1 200 "))
	length, chunked := -1, false
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
		if k, v, found := bytes.Cut(line, []byte(":")); found {
			switch string(bytes.ToLower(k)) {
			case "content-length":
				length, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
			case "transfer-encoding":
				chunked = bytes.Contains(bytes.ToLower(v), []byte("chunked"))
			}
		}
	}
	c.body = c.body[:0]
	switch {
	case length >= 0:
		c.body = append(c.body, make([]byte, length)...)
		if _, err := io.ReadFull(c.r, c.body); err != nil {
			return err
		}
	case chunked:
		if err := c.readChunks(); err != nil {
			return err
		}
	default:
		return errors.New("an answer with neither Content-Length nor chunks")
	}
	if !ok || string(c.body) != httpWant {
		return fmt.Errorf("answered %q %q; want 200 %q", bytes.TrimSpace(status), c.body, httpWant)
	}
	return nil
}

func (c *httpConn) readChunks() error {
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 32)
		if err != nil {
			return fmt.Errorf("chunk size %q: %w", line, err)
		}
		chunk := make([]byte, size+2) // and its CRLF
		if _, err := io.ReadFull(c.r, chunk); err != nil {
			return err
		}
		if size == 0 {
			return nil
		}
		c.body = append(c.body, chunk[:size]...)
	}
}
