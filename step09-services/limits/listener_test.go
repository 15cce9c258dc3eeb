package limits

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRoomListenerClosesTheQuietestConnectionToMakeRoom(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var evicted atomic.Int32
	ln := NewRoomListener(inner, 2, func() { evicted.Add(1) })
	defer ln.Close()

	// dial connects a client, and returns its end and the server's.
	dial := func() (client, server net.Conn) {
		client, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { client.Close() })
		server, err = ln.Accept()
		require.NoError(t, err)
		t.Cleanup(func() { server.Close() })
		return client, server
	}
	talkative, talkativeServer := dial()
	quiet, _ := dial()
	time.Sleep(10 * time.Millisecond)
	_, err = talkative.Write([]byte("x")) // read after quiet's accept: quiet is the quietest
	require.NoError(t, err)
	_, err = talkativeServer.Read(make([]byte, 1))
	require.NoError(t, err)
	assert.Equal(t, 2, ln.Open())

	newcomer, newcomerServer := dial()
	assert.True(t, closedWithin(quiet, time.Second), "the quietest connection is still open")
	assert.False(t, closedWithin(talkative, 100*time.Millisecond), "a busier connection was closed")
	assert.Equal(t, int32(1), evicted.Load())
	assert.Equal(t, 2, ln.Open())

	// A connection that closes frees its room, once however often it is
	// closed.
	require.NoError(t, newcomerServer.Close())
	assert.NoError(t, newcomerServer.Close())
	assert.Equal(t, 1, ln.Open())
	_, _ = dial()
	assert.Equal(t, int32(1), evicted.Load(), "a connection closed with room to spare")
	assert.True(t, closedWithin(newcomer, time.Second))
}

// pipeListener is a net.Listener whose connections are pipes, from the
// remote addresses that a test chooses.
type pipeListener struct{ conns chan net.Conn }

func (l pipeListener) Accept() (net.Conn, error) { return <-l.conns, nil }
func (pipeListener) Close() error                { return nil }
func (pipeListener) Addr() net.Addr              { return &net.TCPAddr{} }

// pipeConn is the server's end of a pipe, from remote.
type pipeConn struct {
	net.Conn
	remote net.Addr
}

func (c pipeConn) RemoteAddr() net.Addr { return c.remote }

func TestRoomListenerMakesRoomAtTheHostThatHoldsTheMost(t *testing.T) {
	inner := pipeListener{conns: make(chan net.Conn, 1)}
	ln := NewRoomListener(inner, 3, func() {})

	// connect connects a client from host, and returns its end and the
	// server's.
	connect := func(host string) (client, server net.Conn) {
		client, serverEnd := net.Pipe()
		t.Cleanup(func() { client.Close() })
		inner.conns <- pipeConn{Conn: serverEnd, remote: &net.TCPAddr{IP: net.ParseIP(host), Port: 40000}}
		server, err := ln.Accept()
		require.NoError(t, err)
		return client, server
	}
	// talk has the client send a byte, which the server reads.
	talk := func(client, server net.Conn) {
		go client.Write([]byte("x"))
		_, err := server.Read(make([]byte, 1))
		require.NoError(t, err)
	}
	quietOfOther, _ := connect("192.0.2.2") // the quietest of all
	busyA, busyAServer := connect("192.0.2.1")
	quietA, _ := connect("192.0.2.1")
	time.Sleep(10 * time.Millisecond)
	talk(busyA, busyAServer)

	// Full: 192.0.2.1 holds the most, and its quietest makes room.
	connect("192.0.2.3")
	assert.True(t, pipeClosed(quietA), "the quietest connection of the host that holds the most is open")
	assert.False(t, pipeClosed(quietOfOther), "another host's connection was closed")
	assert.False(t, pipeClosed(busyA))
	assert.Equal(t, 3, ln.Open())
}

// pipeClosed tells whether the server closed the pipe whose client end is c.
func pipeClosed(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	var netErr net.Error
	return !(errors.As(err, &netErr) && netErr.Timeout())
}

// closedWithin tells whether the server closes c within d, reading and
// dropping whatever it sends first.
func closedWithin(c net.Conn, d time.Duration) bool {
	if err := c.SetReadDeadline(time.Now().Add(d)); err != nil {
		return false
	}
	_, err := io.Copy(io.Discard, c)
	var netErr net.Error
	return !(errors.As(err, &netErr) && netErr.Timeout())
}

func TestHostOfIsTheIPv4AddressOrTheIPv6Network(t *testing.T) {
	assert.Equal(t, "192.0.2.1", HostOf(&net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 1}))
	assert.Equal(t, HostOf(&net.TCPAddr{IP: net.ParseIP("2001:db8::1")}), HostOf(&net.TCPAddr{IP: net.ParseIP("2001:db8::ffff:2")}))
	assert.NotEqual(t, HostOf(&net.TCPAddr{IP: net.ParseIP("2001:db8::1")}), HostOf(&net.TCPAddr{IP: net.ParseIP("2001:db8:0:1::1")}))
}
