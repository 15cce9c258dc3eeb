package main

import (
	"bytes"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokit-workshop/workshop/step09-services/addservice"
)

func TestCLIWithACollectorThatIsDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	collector := "http://" + ln.Addr().String() + "/api/v2/spans"
	ln.Close() // nothing listens there

	httpAddr, _ := serve(t, addservice.NewBasicService())
	var stdout, stderr bytes.Buffer
	code := run([]string{"-http-addr", httpAddr, "-zipkin-url", collector, "sum", "1", "2"}, &stdout, &stderr)
	assert.Equal(t, exitOK, code, "the call's result stands")
	assert.Equal(t, "3\n", stdout.String())
	assert.Contains(t, stderr.String(), "failed to send the request", "the lost spans are said")
}
