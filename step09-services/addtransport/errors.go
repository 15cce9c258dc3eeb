package addtransport

import (
	"context"

	"github.com/go-kit/kit/transport"
	"github.com/go-kit/log"

	"github.com/gokit-workshop/workshop/step09-services/addservice"
)

// newErrorHandler returns the transports' error handler: it logs every error
// that a transport meets (undecodable requests, the endpoints' own errors)
// but a broken business rule, which is the caller's business, not the
// operator's.
func newErrorHandler(logger log.Logger) transport.ErrorHandler {
	return transport.ErrorHandlerFunc(func(_ context.Context, err error) {
		if !addservice.IsBusinessError(err) {
			logger.Log("err", err)
		}
	})
}
