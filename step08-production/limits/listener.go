package limits

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// RoomListener is a net.Listener that keeps at most max connections open.
// When it is full, a new connection is still accepted, and another is
// closed to make room for it: of the host that holds the most connections,
// the one that has been quiet longest (no bytes read from it). A host that
// opens many connections and sends nothing on them, or keeps them idle,
// cannot lock out another that way: its own connections make the room.
// Callers behind one address (a NAT, a proxy, or all of loopback's
// 127.0.0.1) count as one host.
//
// golang.org/x/net/netutil's LimitListener bounds connections too, but a
// new connection waits there until one closes, which an idle flood makes
// last up to the idle timeout.
type RoomListener struct {
	net.Listener
	max     int
	evicted func() // called for each connection closed to make room

	mu     sync.Mutex
	conns  map[*trackedConn]struct{}
	byHost map[string]int // open connections by the host they come from
}

// NewRoomListener returns ln, keeping at most max connections open; it
// calls evicted each time it closes one to make room.
func NewRoomListener(ln net.Listener, max int, evicted func()) *RoomListener {
	return &RoomListener{
		Listener: ln, max: max, evicted: evicted,
		conns: make(map[*trackedConn]struct{}, max), byHost: map[string]int{},
	}
}

// Accept waits for the next connection, and closes another if max are
// open: the quietest of the host that holds the most.
func (l *RoomListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	c := &trackedConn{Conn: conn, ln: l, host: HostOf(conn.RemoteAddr())}
	c.lastRead.Store(time.Now().UnixNano())

	var quietest *trackedConn
	l.mu.Lock()
	// exercise 8.3 begin
	if len(l.conns) >= l.max {
		busiest := ""
		for host, n := range l.byHost {
			if n > l.byHost[busiest] {
				busiest = host
			}
		}
		for o := range l.conns {
			if o.host == busiest && (quietest == nil || o.lastRead.Load() < quietest.lastRead.Load()) {
				quietest = o
			}
		}
		l.removeLocked(quietest)
	}
	// exercise 8.3 end
	l.conns[c] = struct{}{}
	l.byHost[c.host]++
	l.mu.Unlock()

	if quietest != nil {
		quietest.Close()
		l.evicted()
	}
	return c, nil
}

// removeLocked frees c's room, if it still holds it; l.mu is held.
func (l *RoomListener) removeLocked(c *trackedConn) {
	if _, ok := l.conns[c]; !ok {
		return
	}
	delete(l.conns, c)
	if l.byHost[c.host]--; l.byHost[c.host] == 0 {
		delete(l.byHost, c.host)
	}
}

// HostOf returns the host of a connection's remote address: its IPv4
// address, or its IPv6 network (/64), as one host holds a whole /64.
func HostOf(addr net.Addr) string {
	var ip net.IP
	switch a := addr.(type) {
	case *net.TCPAddr:
		ip = a.IP
	default:
		host, _, err := net.SplitHostPort(addr.String())
		if err != nil {
			return addr.String()
		}
		ip = net.ParseIP(host)
		if ip == nil {
			return host
		}
	}
	if ip.To4() == nil {
		ip = ip.Mask(net.CIDRMask(64, 128))
	}
	return ip.String()
}

// Open returns how many connections are open.
func (l *RoomListener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// trackedConn is a connection of a RoomListener, which notes when it last
// read something.
type trackedConn struct {
	net.Conn
	ln        *RoomListener
	host      string       // the host it comes from
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
		c.ln.removeLocked(c)
		c.ln.mu.Unlock()
		c.closeErr = c.Conn.Close()
	})
	return c.closeErr
}
