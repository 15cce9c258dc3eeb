// Package contract holds what addsvc expects of stringsvc, written once as
// data (uppercase.json): each interaction is a request that addsvc's client
// sends and the answer it relies on. stringtransport's tests check them
// against the real stringsvc server; addsvc's tests run its client against
// Stub, which answers them. It is the idea of Pact's consumer-driven
// contracts, in Go: Pact's own library is not installable here.
package contract

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"io"
	"net/http"
)

//go:embed uppercase.json
var uppercaseJSON []byte

// Interaction is one request of addsvc to stringsvc, and the answer that
// addsvc relies on: its status, and its JSON body (compared as JSON).
type Interaction struct {
	Name     string          `json:"name"`
	Path     string          `json:"path"`
	Request  json.RawMessage `json:"request"`
	Status   int             `json:"status"`
	Response json.RawMessage `json:"response"`
}

// Uppercase returns the interactions of addsvc's Uppercase client.
func Uppercase() []Interaction {
	var is []Interaction
	if err := json.Unmarshal(uppercaseJSON, &is); err != nil {
		panic("contract: uppercase.json: " + err.Error()) // a broken file of this package, caught by its tests
	}
	return is
}

// SameJSON reports whether a and b are the same JSON value.
func SameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return bytes.Equal(ja, jb)
}

// Stub returns a stand-in for stringsvc that answers the interactions: a
// POST to an interaction's path whose body is its request gets its answer;
// anything else answers 500, so that a test of a client that sends what the
// contract does not hold fails.
func Stub(interactions []Interaction) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		for _, in := range interactions {
			if r.Method == http.MethodPost && r.URL.Path == in.Path && SameJSON(body, in.Request) {
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.WriteHeader(in.Status)
				w.Write(in.Response)
				return
			}
		}
		http.Error(w, "not in the contract: "+r.Method+" "+r.URL.Path+" "+string(body), http.StatusInternalServerError)
	})
}
