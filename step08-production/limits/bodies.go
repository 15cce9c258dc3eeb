package limits

import (
	"io"
	"net/http"
	"sync/atomic"
)

// BodyBytes returns next, with the request bodies that it reads counted
// against one budget of max bytes, over all its requests: http.MaxBytesReader
// caps each body, and the listener's bound the connections, but each of
// those may be reading a body of up to that cap at once. The first free
// bytes of each body are not counted: what a connection's buffers hold
// anyway, and more than any valid request.
//
// A body counts for the bytes read from it so far, until its request is
// answered, and not for its Content-Length, which a slow caller need not
// send: a caller that sends slowly holds only what it has sent. A read that
// would take the budget over max fails with ErrBodiesInFlight, which
// answers 503 (its StatusCode).
func BodyBytes(next http.Handler, max, free int64) http.Handler {
	var inFlight atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		body := &countedBody{ReadCloser: r.Body, inFlight: &inFlight, max: max, free: free}
		r.Body = body
		defer func() { inFlight.Add(-body.held) }()
		next.ServeHTTP(w, r)
	})
}

// ErrBodiesInFlight is the error of a body read that would take the bodies
// being read over their budget (see BodyBytes).
var ErrBodiesInFlight error = bodiesError{}

type bodiesError struct{}

func (bodiesError) Error() string   { return "too many large request bodies in flight: try again later" }
func (bodiesError) StatusCode() int { return http.StatusServiceUnavailable }

// countedBody is a request body whose bytes read, past the first free,
// are held in inFlight.
type countedBody struct {
	io.ReadCloser
	inFlight  *atomic.Int64
	max, free int64
	read      int64 // bytes read so far
	held      int64 // of them, counted in inFlight
	failed    bool
}

func (b *countedBody) Read(p []byte) (int, error) {
	if b.failed {
		return 0, ErrBodiesInFlight
	}
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	if need := b.read - b.free - b.held; need > 0 {
		if b.inFlight.Add(need) > b.max {
			b.inFlight.Add(-need)
			b.failed = true
			return n, ErrBodiesInFlight
		}
		b.held += need
	}
	return n, err
}
