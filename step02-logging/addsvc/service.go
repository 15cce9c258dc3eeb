// Package addsvc is the add service of the talk "Go + microservices = Go kit"
// in its naive first draft (slides 30–43), with logging added where it is
// needed (slides 44–46): the business logic, the HTTP transport and the
// logging live in one type.
package addsvc

import "log"

// AddService sums integers and concatenates strings (slide 32).
type AddService interface {
	Sum(a, b int) (int, error)
	Concat(a, b string) (string, error)
}

// BasicService is the naive implementation of AddService (slide 34). It is
// also its own HTTP handler (see ServeHTTP), which is exactly what later
// steps untangle.
type BasicService struct {
	logger *log.Logger
}

// NewBasicService returns the naive service, which writes its log lines to
// logger.
func NewBasicService(logger *log.Logger) *BasicService {
	return &BasicService{logger: logger}
}

// Sum returns a + b, and logs the call (slide 46).
func (s *BasicService) Sum(a, b int) (v int, err error) {
	// exercise 2.2 begin
	defer func() {
		s.logger.Printf("Sum(%d,%d)=(%d,%v)", a, b, v, err)
	}()
	// exercise 2.2 end
	return a + b, nil
}

// Concat returns a followed by b, and logs the call (slide 46).
func (s *BasicService) Concat(a, b string) (v string, err error) {
	// exercise 2.2 begin
	defer func() {
		s.logger.Printf("Concat(%q,%q)=(%q,%v)", a, b, v, err)
	}()
	// exercise 2.2 end
	return a + b, nil
}
