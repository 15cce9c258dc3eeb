package main

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// roomListener is a net.Listener that keeps at most max connections open.
// When it is full, a new connection is still accepted, and the connection
// that has been quiet longest (no bytes read from it) is closed to make
// room for it. A caller who opens many connections and sends nothing on
// them, or keeps them idle, cannot lock out a new caller that way: its
// connections are the quiet ones.
//
// golang.org/x/net/netutil's LimitListener bounds connections too, but a
// new connection waits there until one closes, which an idle flood makes
// last up to the idle timeout.
type roomListener struct {
	net.Listener
	max     int
	evicted func() // called for each connection closed to make room

	mu    sync.Mutex
	conns map[*trackedConn]struct{}
}

// newRoomListener returns ln, keeping at most max connections open; it
// calls evicted each time it closes one to make room.
func newRoomListener(ln net.Listener, max int, evicted func()) *roomListener {
	return &roomListener{Listener: ln, max: max, evicted: evicted, conns: make(map[*trackedConn]struct{}, max)}
}

// Accept waits for the next connection, and closes the quietest open one
// if max are open.
func (l *roomListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	c := &trackedConn{Conn: conn, ln: l}
	c.lastRead.Store(time.Now().UnixNano())

	var quietest *trackedConn
	l.mu.Lock()
	if len(l.conns) >= l.max {
		for o := range l.conns {
			if quietest == nil || o.lastRead.Load() < quietest.lastRead.Load() {
				quietest = o
			}
		}
		delete(l.conns, quietest)
	}
	l.conns[c] = struct{}{}
	l.mu.Unlock()

	if quietest != nil {
		quietest.Close()
		l.evicted()
	}
	return c, nil
}

// open returns how many connections are open.
func (l *roomListener) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// trackedConn is a connection of a roomListener, which notes when it last
// read something.
type trackedConn struct {
	net.Conn
	ln        *roomListener
	lastRead  atomic.Int64 // Unix nanoseconds
	closeOnce sync.Once
	closeErr  error
}

func (c *trackedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.lastRead.Store(time.Now().UnixNano())
	}
	return n, err
}

// Close closes the connection and frees its room, once.
func (c *trackedConn) Close() error {
	c.closeOnce.Do(func() {
		c.ln.mu.Lock()
		delete(c.ln.conns, c)
		c.ln.mu.Unlock()
		c.closeErr = c.Conn.Close()
	})
	return c.closeErr
}
