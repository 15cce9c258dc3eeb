package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Step 6: the transports (slides 77–82).

// msgTooLarge is the message of a body over the HTTP transport's limit, as
// net/http's MaxBytesReader words it.
const msgTooLarge = "http: request body too large"

// bodyOverLimit is a body over the HTTP transport's 1 MiB: 1.1 MB of spaces,
// which would be JSON whitespace if it ever ended.
var bodyOverLimit = strings.Repeat(" ", 1_100_000)

// oneToken are the flags of a rate limiter that lets 1 request through, then
// one every 1000 seconds.
var oneToken = []string{"-rate-limit", "0.001", "-rate-burst", "1"}

// httpError is an HTTP call that step 6's transport must answer with an
// error: its status, as application/json, and the body {"error":"…"}.
type httpError struct {
	method, path, body string
	status             int
	msg                string // the message in the body; "" for any
}

// postError is a POST of body to path that must answer status and msg.
func postError(path, body string, status int, msg string) httpError {
	return httpError{http.MethodPost, path, body, status, msg}
}

func (x httpError) String() string {
	if x.body == "" {
		return x.method + " " + x.path
	}
	body := x.body
	if strings.TrimSpace(body) == "" {
		body = fmt.Sprintf("(%d spaces)", len(body))
	}
	return x.method + " " + x.path + " " + clip(body)
}

// wanted describes the answer that x must get, for messages.
func (x httpError) wanted() string {
	msg := "…"
	if x.msg != "" {
		msg = x.msg
	}
	return fmt.Sprintf("HTTP %d, Content-Type: application/json, %s", x.status, errorJSON(msg))
}

// errorJSON writes the error body of step 6 that holds msg.
func errorJSON(msg string) string {
	b, _ := json.Marshal(map[string]string{"error": msg})
	return string(b)
}

// do sends x and checks its answer; why, if not "", follows a failure.
func (x httpError) do(ctx context.Context, s *Service, why string) error {
	contentType := ""
	if x.method == http.MethodPost {
		contentType = "application/json"
	}
	resp, err := s.Do(ctx, x.method, x.path, contentType, x.body)
	if err != nil {
		return err
	}
	fail := func(what string) error {
		return fmt.Errorf("%s answered %s (Content-Type: %q), but it should answer %s: %s",
			x, resp, resp.Header.Get("Content-Type"), x.wanted(), what)
	}
	if resp.Status != x.status {
		what := fmt.Sprintf("the status is %d, not %d", resp.Status, x.status)
		if why != "" {
			what += "; " + why
		}
		return fail(what + ". Look at errorStatus, in addtransport/http.go")
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return fail("the body is JSON, so its Content-Type says application/json (set the header before WriteHeader: headers set after it are never sent). Look at writeHTTPError, in addtransport/http.go")
	}
	msg, err := errorMessage(resp.Body)
	if err != nil {
		return fail(err.Error() + ". Look at writeHTTPError, in addtransport/http.go")
	}
	if x.msg != "" && msg != x.msg {
		return fail(fmt.Sprintf("the message is %q, not %q: the body holds the error's own message, err.Error() (writeHTTPError, in addtransport/http.go)", msg, x.msg))
	}
	return nil
}

// errorMessage reads an error body of step 6, {"error":"…"}: one JSON object
// with one key, "error", whose value is a string that is not empty.
func errorMessage(body string) (string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &fields); err != nil {
		return "", errors.New(`the body is not one JSON object such as {"error":"…"}`)
	}
	raw, ok := fields["error"]
	if !ok || len(fields) != 1 {
		return "", errors.New(`the JSON object must hold one key, "error"`)
	}
	var msg string
	if err := json.Unmarshal(raw, &msg); err != nil || msg == "" {
		return "", errors.New(`"error" must be the error's message, a string`)
	}
	return msg, nil
}

// httpErrorsCase starts the service with flags and sends each call in turn:
// an exchange that must succeed, or an httpError.
func httpErrorsCase(name, why string, flags []string, calls ...any) Case {
	return Case{
		Name: name,
		Run: func(ctx context.Context, env *Env) error {
			s, err := env.Start(ctx, Options{GRPC: true, Flags: flags}) // step 6 serves gRPC on a port of its own too
			if err != nil {
				return err
			}
			for _, c := range calls {
				switch c := c.(type) {
				case exchange:
					if _, err := c.do(ctx, s, "a successful call answers as before"); err != nil {
						return err
					}
				case httpError:
					if err := c.do(ctx, s, why); err != nil {
						return err
					}
				default:
					panic(fmt.Sprintf("httpErrorsCase: %T is no call", c))
				}
			}
			return nil
		},
	}
}

// step06HTTPErrors checks exercise 6.1: the HTTP transport answers every
// error with its status and a JSON body {"error":"…"}.
func step06HTTPErrors() []Case {
	bad := http.StatusBadRequest
	return []Case{
		httpErrorsCase(`broken rules answer 400 with {"error":"<the rule's message>"}: 0 + 0, 2147483647 + 1, "ééééé" + "a"`,
			"a broken business rule is the caller's fault (addservice.IsBusinessError)", nil,
			postError("/sum", `{"a":0,"b":0}`, bad, msgTwoZeroes),
			postError("/sum", `{"a":2147483647,"b":1}`, bad, msgOverflow),
			postError("/concat", `{"a":"ééééé","b":"a"}`, bad, msgTooLong),
			sumOf(1, 2, http.StatusOK, "3")),
		httpErrorsCase(`bodies that can't be decoded answer 400 with {"error":"…"}: a string for an integer, a body cut short, an empty body`,
			"a body that can't be decoded is the caller's fault too: the decode function wraps its error in a decodeError", nil,
			postError("/sum", `{"a":"x","b":1}`, bad, ""),
			postError("/sum", `{"a":1,`, bad, ""),
			postError("/concat", "", bad, "")),
		httpErrorsCase(fmt.Sprintf("a body of 1.1 MB answers 413 with {\"error\":%q}, not 400", msgTooLarge),
			"a body over MaxBodyBytes is an *http.MaxBytesError, which reaches the encoder inside a decodeError: look for it first, or the case of 400 takes it", nil,
			postError("/sum", bodyOverLimit, http.StatusRequestEntityTooLarge, msgTooLarge)),
		httpErrorsCase(fmt.Sprintf("with %s, a second sum answers 429 with {\"error\":%q}", strings.Join(oneToken, " "), msgLimited),
			"the limiter refuses with ratelimit.ErrLimited", oneToken,
			sumOf(1, 2, http.StatusOK, "3"),
			postError("/sum", `{"a":1,"b":2}`, http.StatusTooManyRequests, msgLimited)),
		httpErrorsCase(`GET /sum answers 405 and POST /multiply 404, each with {"error":"…"}`,
			"postOnly and the catch-all path write their errors with writeHTTPError too", nil,
			httpError{http.MethodGet, "/sum", "", http.StatusMethodNotAllowed, ""},
			postError("/multiply", `{"a":2,"b":3}`, http.StatusNotFound, "")),
	}
}

// grpcStatusText describes what a gRPC call answered, for messages: OK,
// its status with the message clipped, or an error that is no status.
func grpcStatusText(err error) string {
	if err == nil {
		return "OK"
	}
	st, ok := status.FromError(err)
	if !ok {
		return err.Error()
	}
	return fmt.Sprintf("%s %q", st.Code(), clip(st.Message()))
}

// grpcCall is a call over gRPC and the answer it must get: v, the JSON of the
// result ("3" or "\"xy\""), or an error with a code and a message.
type grpcCall struct {
	method, req string
	v           string
	code        codes.Code
	msg         string
}

func grpcSum(a, b int64, v string) grpcCall {
	return grpcCall{"Sum", fmt.Sprintf(`{"a":%d,"b":%d}`, a, b), v, codes.OK, ""}
}

func grpcConcat(a, b, v string) grpcCall {
	return grpcCall{"Concat", fmt.Sprintf(`{"a":%s,"b":%s}`, jsonString(a), jsonString(b)), jsonString(v), codes.OK, ""}
}

// refused returns c with the error it must get instead of a result.
func (c grpcCall) refused(code codes.Code, msg string) grpcCall {
	c.v, c.code, c.msg = "", code, msg
	return c
}

func (c grpcCall) String() string { return "gRPC " + c.method + " " + c.req }

func (c grpcCall) wanted() string {
	if c.code == codes.OK {
		return "v = " + c.v
	}
	return fmt.Sprintf("the status %s %q", c.code, c.msg)
}

// got returns the answer of a call as c describes one: the result's JSON,
// or the status's code and message.
func (c grpcCall) got(r *Reply, err error) (string, codes.Code, string) {
	if err != nil {
		st := status.Convert(err)
		return "", st.Code(), st.Message()
	}
	if c.method == "Sum" {
		return strconv.FormatInt(r.Int("v"), 10), codes.OK, ""
	}
	return jsonString(r.Str("v")), codes.OK, ""
}

// do makes the call and checks its answer; why, if not "", follows a
// failure.
func (c grpcCall) do(ctx context.Context, s *Service, why string) error {
	r, err := s.CallGRPC(ctx, c.method, c.req)
	if _, isStatus := status.FromError(err); err != nil && !isStatus {
		return err // the harness's own trouble: no reflection, no such method
	}
	v, code, msg := c.got(r, err)
	if v == c.v && code == c.code && msg == c.msg {
		return nil
	}
	answer := "v = " + v
	if err != nil {
		answer = "the status " + grpcStatusText(err)
	}
	text := fmt.Sprintf("%s answered %s, but it should answer %s", c, answer, c.wanted())
	if cause := c.likelyCause(v, code, msg); cause != "" {
		return errors.New(text + ".\n" + cause)
	}
	if why != "" {
		text += ": " + why
	}
	return errors.New(text)
}

// likelyCause names the most likely places of the bug, from what came
// back, or "" if the case's own words say it best.
func (c grpcCall) likelyCause(v string, code codes.Code, msg string) string {
	encode := "encodeGRPC" + c.method + "Reply"
	beyond32 := c.method == "Sum" && c.hasArgBeyond32Bits()
	switch {
	case code == codes.Unknown:
		return "Unknown is grpc-go's code for an error that is not a status: grpcStatus, in addtransport/grpc.go, makes one with status.Error(code, err.Error())"
	case c.code != codes.OK && code == codes.OK && (v == "0" || v == `""`) && beyond32:
		return fmt.Sprintf("Two places fit: %s, in addtransport/grpc.go, may drop the broken rule inside the response (return nil, resp.Err when it is set); "+
			"or decodeGRPCSumRequest may pass the arguments through 32 bits (int(int32(…))), which wraps them around before the rule sees them", encode)
	case c.code != codes.OK && code == codes.OK && (v == "0" || v == `""`):
		return fmt.Sprintf("The broken rule came back as an empty result: %s, in addtransport/grpc.go, must return it as the call's error (return nil, resp.Err when resp.Err is set)", encode)
	case c.code != codes.OK && code == codes.OK && beyond32:
		return "An argument beyond 32 bits wrapped around before the business rule saw it: decodeGRPCSumRequest, in addtransport/grpc.go, converts int64 to int directly (int(req.A)), never through int32"
	case c.code == codes.OK && code == codes.OK:
		return fmt.Sprintf("The result is lost on the way: decodeGRPC%sRequest (the arguments) or %s (the result), in addtransport/grpc.go", c.method, encode)
	case c.code != codes.OK && code != c.code && code != codes.OK:
		return fmt.Sprintf("The error came back with the wrong code: grpcStatus, in addtransport/grpc.go, gives %s for this error", c.code)
	case c.code != codes.OK && code == c.code:
		return "The code is right, the message is not: grpcStatus, in addtransport/grpc.go, keeps the error's own message, err.Error()"
	}
	return ""
}

// hasArgBeyond32Bits reports whether the call's request holds an integer
// outside 32 bits.
func (c grpcCall) hasArgBeyond32Bits() bool {
	var args map[string]any
	if json.Unmarshal([]byte(c.req), &args) != nil {
		return false
	}
	for _, a := range args {
		if f, ok := a.(float64); ok && (f > int32Max || f < int32Min) {
			return true
		}
	}
	return false
}

// grpcCase starts the service with gRPC and flags, and makes each call in
// turn.
func grpcCase(name, why string, flags []string, calls ...grpcCall) Case {
	return Case{
		Name: name,
		Run: func(ctx context.Context, env *Env) error {
			s, err := env.Start(ctx, Options{GRPC: true, Flags: flags})
			if err != nil {
				return err
			}
			for _, c := range calls {
				if err := c.do(ctx, s, why); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// sameAnswer is one call made over HTTP and over gRPC, which must agree.
type sameAnswer struct {
	http exchange
	grpc grpcCall
}

// step06GRPCServer checks exercise 6.2: the gRPC server decodes, encodes,
// and turns errors into status codes.
func step06GRPCServer() []Case {
	invalid := codes.InvalidArgument
	bad := http.StatusBadRequest
	ok := http.StatusOK
	same := []sameAnswer{
		{sumOf(1, 2, ok, "3"), grpcSum(1, 2, "3")},
		{sumOf(0, 0, bad, msgTwoZeroes), grpcSum(0, 0, "").refused(invalid, msgTwoZeroes)},
		{sumOf(int32Min, 0, ok, "-2147483648"), grpcSum(int32Min, 0, "-2147483648")},
		{sumOf(int32Max, 1, bad, msgOverflow), grpcSum(int32Max, 1, "").refused(invalid, msgOverflow)},
		{sumOf(1<<32, 1, bad, msgOverflow), grpcSum(1<<32, 1, "").refused(invalid, msgOverflow)},
		{concatOf("日本", "語", ok, `"日本語"`), grpcConcat("日本", "語", "日本語")},
		{concatOf("0123456789", "!", bad, msgTooLong), grpcConcat("0123456789", "!", "").refused(invalid, msgTooLong)},
	}
	return []Case{
		grpcCase(`Sum and Concat answer over gRPC: 1 + 2 = 3, -7 + -8 = -15, "x" + "y" = "xy", "é" + "ü" = "éü"`,
			"decode the protobuf request into the endpoint's request, and encode the endpoint's response into the protobuf reply", nil,
			grpcSum(1, 2, "3"), grpcSum(-7, -8, "-15"), grpcConcat("x", "y", "xy"), grpcConcat("é", "ü", "éü")),
		grpcCase("arguments beyond 32 bits reach the service as they are: 4294967296 + 1 and -2147483649 + 1 answer InvalidArgument \"integer overflow\"",
			"the request's int64 fields become the endpoint's int, never through a 32-bit type, which would wrap them around before the business rule sees them", nil,
			grpcSum(1<<32, 1, "").refused(invalid, msgOverflow), grpcSum(int32Min-1, 1, "").refused(invalid, msgOverflow),
			grpcSum(int32Max, 0, "2147483647")),
		grpcCase(`broken rules answer InvalidArgument with the rule's message: 0 + 0, 2147483647 + 1, "ééééé" + "a"`,
			"the encode function returns the broken rule inside the response as the call's error, and grpcStatus turns a business error into InvalidArgument with its message", nil,
			grpcSum(0, 0, "").refused(invalid, msgTwoZeroes), grpcSum(int32Max, 1, "").refused(invalid, msgOverflow),
			grpcConcat("ééééé", "a", "").refused(invalid, msgTooLong), grpcSum(5, -5, "0")),
		grpcCase(fmt.Sprintf("with %s, the third Sum answers ResourceExhausted %q", strings.Join(tinyBucket, " "), msgLimited),
			"grpcStatus turns ratelimit.ErrLimited into ResourceExhausted", tinyBucket,
			grpcSum(1, 2, "3"), grpcSum(1, 2, "3"), grpcSum(1, 2, "").refused(codes.ResourceExhausted, msgLimited)),
		{
			Name: "HTTP and gRPC give the same answers: the same results, and the same messages for broken rules",
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{GRPC: true})
				if err != nil {
					return err
				}
				for _, c := range same {
					if err := answeredAsStep6(ctx, s, c.http); err != nil {
						return fmt.Errorf("%w (exercise 6.1 makes HTTP's errors JSON)", err)
					}
					if err := c.grpc.do(ctx, s, fmt.Sprintf("over HTTP, %s answers %s", c.http, c.http.wantedAsStep6())); err != nil {
						return err
					}
				}
				return nil
			},
		},
	}
}

// wantedAsStep6 describes the answer that x must get from step 6's HTTP
// transport, whose errors are JSON.
func (x exchange) wantedAsStep6() string {
	if x.status == http.StatusOK {
		return x.wanted()
	}
	return fmt.Sprintf("HTTP %d %s", x.status, errorJSON(x.want))
}

// answeredAsStep6 sends x to step 6's HTTP transport, and checks its answer:
// for an error, the status and the JSON body {"error":"…"}.
func answeredAsStep6(ctx context.Context, s *Service, x exchange) error {
	resp, err := s.Post(ctx, x.path, x.body)
	if err != nil {
		return err
	}
	if x.status == http.StatusOK && x.answered(resp) {
		return nil
	}
	if msg, err := errorMessage(resp.Body); err == nil && resp.Status == x.status && msg == x.want {
		return nil
	}
	return fmt.Errorf("%s answered %s, but it should answer %s", x, resp, x.wantedAsStep6())
}

// addcliRun is one run of addcli, and what it must print.
type addcliRun struct {
	args   []string // after the transport's flag
	stdout string   // the line it must print on stdout, if it must succeed
	stderr string   // the line it must print first on stderr, if it must fail
}

func (r addcliRun) String() string { return "addcli " + clipArgs(r.args) }

// run runs addcli with the address flag of transport (-http-addr or
// -grpc-addr) and checks what it prints and its exit code.
func (r addcliRun) run(ctx context.Context, env *Env, addrFlag, addr, why string) error {
	args := append([]string{addrFlag, addr}, r.args...)
	out, err := env.RunCommand(ctx, "addcli", args...)
	if err != nil {
		return err
	}
	shown := fmt.Sprintf("addcli %s exited %d, printing on stdout %q and on stderr %q", clipArgs(args), out.ExitCode,
		clip(strings.TrimSpace(out.Stdout)), clip(strings.TrimSpace(out.Stderr)))
	if r.stderr == "" {
		if out.ExitCode != 0 || strings.TrimSpace(out.Stdout) != r.stdout {
			return fmt.Errorf("%s, but it should print %q and exit 0", shown, r.stdout)
		}
		return nil
	}
	first, _, _ := strings.Cut(strings.TrimSpace(out.Stderr), "\n")
	if out.ExitCode != 1 || first != r.stderr {
		msg := fmt.Sprintf("%s, but it should print %q on stderr and exit 1", shown, r.stderr)
		if why != "" {
			msg += ": " + why
		}
		return errors.New(msg)
	}
	return nil
}

// transports are addcli's two ways to call the service: its flag, and where
// the service listens for it.
var transports = []struct {
	name, flag string
	addr       func(*Service) string
}{
	{"HTTP", "-http-addr", func(s *Service) string { return s.HTTPAddr }},
	{"gRPC", "-grpc-addr", func(s *Service) string { return s.GRPCAddr }},
}

// clientErrors says where each client turns the server's errors back into
// the service's own.
var clientErrors = map[string]string{
	"HTTP": "errorFromHTTP, in addtransport/http_client.go",
	"gRPC": "the errorsFromGRPC middleware, in addtransport/grpc_client.go",
}

// addcliToo are the commands of a case that runs addcli against addsvc.
var addcliToo = []string{"addsvc", "addcli"}

// step06ClientErrors checks exercise 6.3: the clients turn the server's
// errors back into the service's own, over both transports, as addcli shows.
func step06ClientErrors() []Case {
	var cases []Case
	for _, t := range transports {
		cases = append(cases,
			Case{
				Commands: addcliToo,
				Name:     fmt.Sprintf("over %s, addcli sum 1 2 prints 3 and addcli concat x y prints xy", t.name),
				Run: func(ctx context.Context, env *Env) error {
					s, err := env.Start(ctx, Options{GRPC: true})
					if err != nil {
						return err
					}
					for _, r := range []addcliRun{{args: []string{"sum", "1", "2"}, stdout: "3"}, {args: []string{"concat", "x", "y"}, stdout: "xy"}} {
						if err := r.run(ctx, env, t.flag, t.addr(s), ""); err != nil {
							return err
						}
					}
					return nil
				},
			},
			Case{
				Commands: addcliToo,
				Name:     fmt.Sprintf("over %s, a broken rule is the service's own error: addcli sum 0 0 exits 1 with \"addcli: %s\", and so for the other rules", t.name, msgTwoZeroes),
				Run: func(ctx context.Context, env *Env) error {
					s, err := env.Start(ctx, Options{GRPC: true})
					if err != nil {
						return err
					}
					why := fmt.Sprintf("the client turns the server's answer back into the service's own error, addservice.BusinessError(message), which addcli prints as it is: look at %s", clientErrors[t.name])
					for _, r := range []addcliRun{
						{args: []string{"sum", "0", "0"}, stderr: "addcli: " + msgTwoZeroes},
						{args: []string{"sum", "2147483647", "1"}, stderr: "addcli: " + msgOverflow},
						{args: []string{"concat", "hello", "world!"}, stderr: "addcli: " + msgTooLong},
					} {
						if err := r.run(ctx, env, t.flag, t.addr(s), why); err != nil {
							return err
						}
					}
					return nil
				},
			},
			Case{
				Commands: addcliToo,
				Name:     fmt.Sprintf("over %s, with the server's bucket empty (%s), addcli sum 1 2 exits 1 with \"addcli: server: %s\"", t.name, strings.Join(oneToken, " "), msgLimited),
				Run: func(ctx context.Context, env *Env) error {
					s, err := env.Start(ctx, Options{GRPC: true, Flags: oneToken})
					if err != nil {
						return err
					}
					sum := addcliRun{args: []string{"sum", "1", "2"}, stdout: "3"}
					if err := sum.run(ctx, env, t.flag, t.addr(s), ""); err != nil {
						return fmt.Errorf("%w (the first call takes the bucket's one token)", err)
					}
					limited := addcliRun{args: []string{"sum", "1", "2"}, stderr: "addcli: server: " + msgLimited}
					return limited.run(ctx, env, t.flag, t.addr(s),
						fmt.Sprintf(`the server's refusal comes back as an error that wraps ratelimit.ErrLimited, with the prefix "server: ": fmt.Errorf("server: %%w", ratelimit.ErrLimited), in %s`, clientErrors[t.name]))
				},
			},
		)
	}
	return cases
}
