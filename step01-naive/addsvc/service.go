// Package addsvc is the add service of the talk "Go + microservices = Go kit"
// in its naive first draft (slides 30–43): the business logic and the HTTP
// transport live in one type.
package addsvc

// AddService sums integers and concatenates strings (slide 32).
type AddService interface {
	Sum(a, b int) (int, error)
	Concat(a, b string) (string, error)
}

// BasicService is the naive implementation of AddService (slide 34). It is
// also its own HTTP handler (see ServeHTTP), which is exactly what later
// steps untangle.
type BasicService struct{}

// NewBasicService returns the naive service.
func NewBasicService() *BasicService {
	return &BasicService{}
}

// Sum returns a + b.
func (s *BasicService) Sum(a, b int) (int, error) {
	return a + b, nil
}

// Concat returns a followed by b.
func (s *BasicService) Concat(a, b string) (string, error) {
	return a + b, nil
}
