package main

import (
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
	ln := newRoomListener(inner, 2, func() { evicted.Add(1) })
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
	assert.Equal(t, 2, ln.open())

	newcomer, newcomerServer := dial()
	assert.True(t, closedWithin(quiet, time.Second), "the quietest connection is still open")
	assert.False(t, closedWithin(talkative, 100*time.Millisecond), "a busier connection was closed")
	assert.Equal(t, int32(1), evicted.Load())
	assert.Equal(t, 2, ln.open())

	// A connection that closes frees its room, once however often it is
	// closed.
	require.NoError(t, newcomerServer.Close())
	assert.NoError(t, newcomerServer.Close())
	assert.Equal(t, 1, ln.open())
	_, _ = dial()
	assert.Equal(t, int32(1), evicted.Load(), "a connection closed with room to spare")
	assert.True(t, closedWithin(newcomer, time.Second))
}
