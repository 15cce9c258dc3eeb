package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Step 4: the service layer (slides 50–67, 86).

// The messages of the business rules' errors, as the transport answers them
// with 400.
const (
	msgTwoZeroes = "can't sum two zeroes"
	msgOverflow  = "integer overflow"
	msgTooLong   = "result exceeds maximum size"
)

// The counters of step 4's instrumenting middleware.
const (
	integersSummed         = "addsvc_integers_summed_total"
	charactersConcatenated = "addsvc_characters_concatenated_total"
)

// exchange is one HTTP call to the service and the answer it must get: a
// status, and for 200 the JSON body, for any other status the error message
// (the hand-written transports of steps 4 and 5 answer errors as plain text).
type exchange struct {
	path, body string
	status     int
	want       string // {"v":3} for 200, else the message
	anyBody    bool   // only the status matters
}

func (x exchange) String() string { return "POST " + x.path + " " + clip(x.body) }

// wanted describes the answer that x must get, for messages.
func (x exchange) wanted() string {
	if x.anyBody {
		return fmt.Sprintf("HTTP %d", x.status)
	}
	return fmt.Sprintf("HTTP %d: %s", x.status, x.want)
}

// statusOnly returns x, for a check that looks only at the status of its
// answer.
func (x exchange) statusOnly() exchange {
	x.anyBody = true
	return x
}

// sumOf and concatOf make exchanges: the answer 200 with want as the JSON
// result, or an error status with want as its message.
func sumOf(a, b int64, status int, want string) exchange {
	return exchange{"/sum", fmt.Sprintf(`{"a":%d,"b":%d}`, a, b), status, wantBody(status, want), false}
}

func concatOf(a, b string, status int, want string) exchange {
	return exchange{"/concat", fmt.Sprintf(`{"a":%s,"b":%s}`, jsonString(a), jsonString(b)), status, wantBody(status, want), false}
}

func wantBody(status int, want string) string {
	if status == http.StatusOK {
		return `{"v":` + want + `}`
	}
	return want
}

// jsonString writes s as a JSON string; é and 日 stay as they are.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// answered reports whether resp is the answer that x wants.
func (x exchange) answered(resp *Response) bool {
	if resp.Status != x.status {
		return false
	}
	if x.anyBody {
		return true
	}
	if x.status != http.StatusOK {
		return strings.TrimSpace(resp.Body) == x.want
	}
	var got, want any
	if json.Unmarshal([]byte(resp.Body), &got) != nil || json.Unmarshal([]byte(x.want), &want) != nil {
		return false
	}
	return reflect.DeepEqual(got, want)
}

// do sends x and checks its answer. why, if not "", says what the rule
// is, after a failure.
func (x exchange) do(ctx context.Context, s *Service, why string) (*Response, error) {
	resp, err := s.Post(ctx, x.path, x.body)
	if err != nil {
		return nil, err
	}
	if !x.answered(resp) {
		msg := fmt.Sprintf("%s answered %s, but it should answer %s", x, resp, x.wanted())
		if why != "" {
			msg += ": " + why
		}
		return nil, errors.New(msg)
	}
	return resp, nil
}

// exchangesCase starts the service and checks each exchange in turn.
func exchangesCase(name, why string, xs ...exchange) Case {
	return Case{
		Name: name,
		Run: func(ctx context.Context, env *Env) error {
			s, err := env.Start(ctx, Options{})
			if err != nil {
				return err
			}
			for _, x := range xs {
				if _, err := x.do(ctx, s, why); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// The 32-bit bounds of the business rules.
const (
	int32Max = 1<<31 - 1
	int32Min = -(int32Max + 1)
)

// step04BusinessRules checks exercise 4.1: Sum and Concat enforce the
// business rules, which the transport answers with 400 and their message.
func step04BusinessRules() []Case {
	ok := http.StatusOK
	bad := http.StatusBadRequest
	return []Case{
		exchangesCase(`Sum answers 1 + 2, 0 + 5 and 5 + -5, and refuses 0 + 0 with 400 "can't sum two zeroes"`,
			"only two zeroes are refused, with ErrTwoZeroes",
			sumOf(1, 2, ok, "3"), sumOf(0, 0, bad, msgTwoZeroes), sumOf(0, 5, ok, "5"), sumOf(5, -5, ok, "0")),
		exchangesCase("Sum answers results up to the 32-bit bounds, 2147483647 and -2147483648",
			"the bounds themselves fit in 32 bits",
			sumOf(int32Max, 0, ok, "2147483647"), sumOf(int32Max-1, 1, ok, "2147483647"),
			sumOf(int32Min, 0, ok, "-2147483648"), sumOf(int32Min+1, -1, ok, "-2147483648"),
			sumOf(int32Min, int32Max, ok, "-1")),
		exchangesCase(`Sum refuses a result beyond 32 bits with 400 "integer overflow"`,
			"the result does not fit in 32 bits (intMin to intMax): ErrIntOverflow",
			sumOf(int32Max, 1, bad, msgOverflow), sumOf(1, int32Max, bad, msgOverflow),
			sumOf(int32Max, int32Max, bad, msgOverflow), sumOf(int32Min, -1, bad, msgOverflow),
			sumOf(-1, int32Min, bad, msgOverflow), sumOf(int32Min, int32Min, bad, msgOverflow)),
		exchangesCase(`Sum refuses an argument beyond 32 bits with 400 "integer overflow", even when the sum fits`,
			"an int holds 64 bits, so a JSON number beyond 32 bits reaches Sum as it is; an argument outside intMin to intMax is refused with ErrIntOverflow, whatever the sum",
			sumOf(int32Max+1, -1, bad, msgOverflow), sumOf(-1, int32Max+1, bad, msgOverflow),
			sumOf(int32Min-1, 1, bad, msgOverflow), sumOf(1<<32, -(1<<32)+1, bad, msgOverflow),
			sumOf(1<<62, 1<<62, bad, msgOverflow)),
		exchangesCase("Concat answers results of up to 10 bytes",
			"10 bytes are allowed",
			concatOf("x", "y", ok, `"xy"`), concatOf("", "", ok, `""`), concatOf("hello", "world", ok, `"helloworld"`),
			concatOf("", "0123456789", ok, `"0123456789"`)),
		exchangesCase(`Concat refuses a result of more than 10 bytes with 400 "result exceeds maximum size"`,
			"the result would be longer than 10 bytes: ErrMaxSizeExceeded",
			concatOf("hello", "world!", bad, msgTooLong), concatOf("0123456789a", "", bad, msgTooLong),
			concatOf(strings.Repeat("a", 100), "b", bad, msgTooLong)),
		exchangesCase("Concat counts bytes, not characters: é is 2 bytes, 語 is 3",
			"the rule counts bytes, as len does, not characters: é takes 2 bytes in UTF-8, 世, 界 and 語 take 3",
			concatOf("éééé", "ab", ok, `"ééééab"`), concatOf("世界", "語", ok, `"世界語"`),
			concatOf("ééééé", "a", bad, msgTooLong), concatOf("世界", "語語", bad, msgTooLong)),
	}
}

// logRecord is one logfmt line: its keys and values, in order.
type logRecord struct {
	line   string
	keys   []string
	values map[string]string
}

// get returns the value of key, and whether the line has it.
func (r logRecord) get(key string) (string, bool) {
	v, ok := r.values[key]
	return v, ok
}

// parseLogfmt reads a logfmt line (key=value key="quoted value" …) as
// github.com/go-kit/log writes it. A key without "=" has the value "". It
// returns false for a line that is not logfmt.
func parseLogfmt(line string) (logRecord, bool) {
	r := logRecord{line: line, values: map[string]string{}}
	s := line
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			break
		}
		end := strings.IndexAny(s, "= ")
		if end == 0 {
			return r, false
		}
		if end < 0 {
			end = len(s)
		}
		key := s[:end]
		s = s[end:]
		value := ""
		if strings.HasPrefix(s, "=") {
			s = s[1:]
			if strings.HasPrefix(s, `"`) {
				i := 1
				for ; i < len(s) && s[i] != '"'; i++ {
					if s[i] == '\\' {
						i++
					}
				}
				if i >= len(s) {
					return r, false
				}
				v, err := strconv.Unquote(s[:i+1])
				if err != nil {
					v = s[1:i]
				}
				value, s = v, s[i+1:]
			} else {
				end := strings.IndexByte(s, ' ')
				if end < 0 {
					end = len(s)
				}
				value, s = s[:end], s[end:]
			}
		}
		if _, seen := r.values[key]; !seen {
			r.keys = append(r.keys, key)
		}
		r.values[key] = value
	}
	return r, len(r.keys) > 0
}

// records returns the service's log lines that are logfmt and for which
// match is true.
func records(s *Service, match func(logRecord) bool) []logRecord {
	var out []logRecord
	for _, l := range s.Log() {
		if r, ok := parseLogfmt(l); ok && match(r) {
			out = append(out, r)
		}
	}
	return out
}

// isMethod reports whether r's method is name, in any case.
func isMethod(r logRecord, name string) bool {
	m, _ := r.get("method")
	return strings.EqualFold(m, name)
}

// isDuration reports whether v reads as a duration with its unit, as a
// time.Duration prints: 522ns, 1.2ms. A bare number is not: its unit is
// anyone's guess (0 is, since a duration of 0 prints as 0s).
func isDuration(v string) bool {
	_, err := time.ParseDuration(v)
	return err == nil && v != "0"
}

// loggedCall is a service call that exercise 4.2 must log, and the values
// its line must show.
type loggedCall struct {
	x      exchange
	method string
	fields [][2]string // a, b, v and err, in that order, as logfmt reads them
}

func (c loggedCall) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "method=%s", c.method)
	for _, f := range c.fields {
		fmt.Fprintf(&b, " %s=%s", f[0], logfmtValue(f[1]))
	}
	return b.String() + " took=…"
}

// logfmtValue writes v as a logfmt value: quoted if empty or if it holds a
// space, a quote or an equals sign.
func logfmtValue(v string) string {
	if v == "" || strings.ContainsAny(v, ` "=`) {
		return strconv.Quote(v)
	}
	return v
}

// asAnswered returns the call with the result and the error that its line
// must show, as the service answered it: the line logs what the caller got.
// So this check does not depend on exercise 4.1: without its rules, 0 + 0
// answers 0 with no error, and its line must say so.
func (c loggedCall) asAnswered(resp *Response) (loggedCall, error) {
	fields := append([][2]string(nil), c.fields[:2]...)
	zero := "0"
	if c.method == "Concat" {
		zero = ""
	}
	switch resp.Status {
	case http.StatusOK:
		var body struct{ V json.RawMessage }
		if json.Unmarshal([]byte(resp.Body), &body) != nil || body.V == nil {
			return c, fmt.Errorf("%s answered %s, not a result such as {\"v\":…}: the logging middleware must not change the answers (it returns what the wrapped service returned)", c.x, resp)
		}
		v := string(body.V)
		if c.method == "Concat" {
			json.Unmarshal(body.V, &v)
		}
		fields = append(fields, [2]string{"v", v}, [2]string{"err", "null"})
	case http.StatusBadRequest:
		fields = append(fields, [2]string{"v", zero}, [2]string{"err", strings.TrimSpace(resp.Body)})
	default:
		return c, fmt.Errorf("%s answered %s, not 200 or 400: the logging middleware must not change the answers (it returns what the wrapped service returned)", c.x, resp)
	}
	c.fields = fields
	return c, nil
}

// step04LogCalls checks exercise 4.2: the logging middleware logs each call
// as one logfmt line with its method, arguments, result, error and duration.
func step04LogCalls() []Case {
	ok := http.StatusOK
	bad := http.StatusBadRequest
	calls := []struct {
		what string
		call loggedCall
	}{
		{"a sum", loggedCall{sumOf(17, 25, ok, "42"), "Sum",
			[][2]string{{"a", "17"}, {"b", "25"}, {"v", "42"}, {"err", "null"}}}},
		{"a sum that breaks a rule", loggedCall{sumOf(0, 0, bad, msgTwoZeroes), "Sum",
			[][2]string{{"a", "0"}, {"b", "0"}, {"v", "0"}, {"err", msgTwoZeroes}}}},
		{"a concatenation", loggedCall{concatOf("a b", "ü", ok, `"a bü"`), "Concat",
			[][2]string{{"a", "a b"}, {"b", "ü"}, {"v", "a bü"}, {"err", "null"}}}},
		{"a concatenation that breaks a rule", loggedCall{concatOf("hello", "world!", bad, msgTooLong), "Concat",
			[][2]string{{"a", "hello"}, {"b", "world!"}, {"v", ""}, {"err", msgTooLong}}}},
	}
	var cases []Case
	for _, c := range calls {
		cases = append(cases, Case{
			Name: fmt.Sprintf("%s (%s) logs one line: %s", c.what, c.call.x, c.call),
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{})
				if err != nil {
					return err
				}
				resp, err := s.Post(ctx, c.call.x.path, c.call.x.body)
				if err != nil {
					return err
				}
				call, err := c.call.asAnswered(resp)
				if err != nil {
					return err
				}
				return checkLoggedCall(ctx, s, call)
			},
		})
	}
	cases = append(cases, Case{
		Name: "three calls log three lines, one each, and a body that is not JSON logs none",
		Run: func(ctx context.Context, env *Env) error {
			s, err := env.Start(ctx, Options{})
			if err != nil {
				return err
			}
			xs := []exchange{sumOf(1, 2, ok, "3"), {"/sum", "{", bad, "", true}, concatOf("x", "y", ok, `"xy"`), sumOf(3, 4, ok, "7")}
			for _, x := range xs {
				resp, err := s.Post(ctx, x.path, x.body)
				if err != nil {
					return err
				}
				if resp.Status != x.status {
					return fmt.Errorf("%s answered %s, not HTTP %d", x, resp, x.status)
				}
			}
			if _, err := s.WaitLog(ctx, "with method=Sum a=3 b=4", func(l string) bool {
				r, ok := parseLogfmt(l)
				return ok && isMethod(r, "Sum") && r.values["a"] == "3" && r.values["b"] == "4"
			}); err != nil {
				return err
			}
			s.Settle(ctx)
			logged := records(s, func(r logRecord) bool { _, ok := r.get("method"); return ok })
			if len(logged) != 3 {
				var lines []string
				for _, r := range logged {
					lines = append(lines, r.line)
				}
				return fmt.Errorf("after %s, %s, %s and %s, the service logged %d lines with a method, not 3 (one per call; the body that is not JSON never reaches the service):\n    %s",
					xs[0], xs[1], xs[2], xs[3], len(logged), strings.Join(lines, "\n    "))
			}
			return nil
		},
	})
	return cases
}

// checkLoggedCall waits for the line that logs call, and checks it.
func checkLoggedCall(ctx context.Context, s *Service, call loggedCall) error {
	ofCall := func(r logRecord) bool {
		a, _ := r.get("a")
		b, _ := r.get("b")
		return isMethod(r, call.method) && a == call.fields[0][1] && b == call.fields[1][1]
	}
	_, err := s.WaitLog(ctx, fmt.Sprintf("with method=%s and the arguments a=%s b=%s, in logfmt", call.method,
		logfmtValue(call.fields[0][1]), logfmtValue(call.fields[1][1])), func(l string) bool {
		r, ok := parseLogfmt(l)
		return ok && ofCall(r)
	})
	if err != nil {
		if rs := records(s, func(r logRecord) bool { return isMethod(r, call.method) }); len(rs) > 0 {
			return fmt.Errorf("the service logged a line with method=%s, but not with the arguments a and b of %s: want %s, got\n    %s",
				call.method, call.x, call, rs[0].line)
		}
		return err
	}
	s.Settle(ctx)
	rs := records(s, ofCall)
	if len(rs) != 1 {
		var lines []string
		for _, r := range rs {
			lines = append(lines, r.line)
		}
		return fmt.Errorf("%s was logged %d times, not once:\n    %s", call.x, len(rs), strings.Join(lines, "\n    "))
	}
	r := rs[0]
	for _, f := range call.fields[2:] {
		got, ok := r.get(f[0])
		switch {
		case !ok:
			return fmt.Errorf("the line that logs %s has no key %s: want %s, got\n    %s", call.x, f[0], call, r.line)
		case got != f[1]:
			msg := fmt.Sprintf("the line that logs %s shows %s=%s, not %s=%s: want %s, got\n    %s",
				call.x, f[0], logfmtValue(got), f[0], logfmtValue(f[1]), call, r.line)
			if got == "0" || got == "" || got == "null" {
				msg += "\n(that is the value before the call: the arguments of a deferred call are evaluated when the defer statement runs; defer a function literal, which reads v and err when it runs)"
			}
			return errors.New(msg)
		}
	}
	took, ok := r.get("took")
	switch {
	case !ok:
		return fmt.Errorf("the line that logs %s has no key took with how long the call took (such as took=522ns): got\n    %s", call.x, r.line)
	case !isDuration(took):
		return fmt.Errorf("the line that logs %s shows took=%s, which is not a duration such as took=522ns: log the time.Duration itself, time.Since(begin), not a number of seconds or nanoseconds; got\n    %s", call.x, logfmtValue(took), r.line)
	}
	return nil
}

// step04CountWork checks exercise 4.3: the instrumenting middleware counts
// the integers summed and the bytes concatenated by successful calls.
func step04CountWork() []Case {
	ok := http.StatusOK
	bad := http.StatusBadRequest
	counts := func(name string, xs []exchange, ints, chars float64) Case {
		return Case{
			Name: name,
			Run: func(ctx context.Context, env *Env) error {
				s, err := env.Start(ctx, Options{})
				if err != nil {
					return err
				}
				for _, x := range xs {
					resp, err := s.Post(ctx, x.path, x.body)
					if err != nil {
						if p := panicLine(s); p != "" {
							return fmt.Errorf("%s got no answer: the service panicked while it answered, and net/http dropped the request:\n    %s\n(a Prometheus counter can only go up: Add panics on a negative value, and a sum can be negative)", x, p)
						}
						return err
					}
					if !x.answered(resp) {
						return fmt.Errorf("%s answered %s, but it should answer %s: the instrumenting middleware must not change the answers", x, resp, x.wanted())
					}
				}
				return wantWork(ctx, s, xs, ints, chars)
			},
		}
	}
	return []Case{
		counts("two successful sums, 1 + 2 and 3 + 4, add 2 each to addsvc_integers_summed_total",
			[]exchange{sumOf(1, 2, ok, "3"), sumOf(3, 4, ok, "7")}, 4, 0),
		counts("a negative sum, -10 + -20, answers -30 and adds 2 too: the service must not crash on it (slide 66's trap)",
			[]exchange{sumOf(-10, -20, ok, "-30")}, 2, 0),
		counts("sums that break a rule, 0 + 0 and 2147483647 + 1, add nothing",
			[]exchange{sumOf(0, 0, bad, msgTwoZeroes), sumOf(int32Max, 1, bad, msgOverflow), sumOf(5, 6, ok, "11")}, 2, 0),
		counts(`Concat adds the length of its result in bytes to addsvc_characters_concatenated_total: "ab" + "c" and "日本" + "語" add 3 + 9`,
			[]exchange{concatOf("ab", "c", ok, `"abc"`), concatOf("日本", "語", ok, `"日本語"`)}, 0, 12),
		counts(`a concatenation that breaks a rule, "0123456789" + "x", adds nothing ("é" + "" then adds 2)`,
			[]exchange{concatOf("0123456789", "x", bad, msgTooLong), concatOf("é", "", ok, `"é"`)}, 0, 2),
	}
}

// panicLine returns the line where the service logged a panic, or "".
func panicLine(s *Service) string {
	for _, l := range s.Log() {
		if strings.Contains(l, "panic") {
			return l
		}
	}
	return ""
}

// wantWork reads the counters of step 4 and compares them with what the
// exchanges should have counted.
func wantWork(ctx context.Context, s *Service, sent []exchange, ints, chars float64) error {
	m, err := s.Scrape(ctx)
	if err != nil {
		return err
	}
	gotInts, okI := m.Value(integersSummed)
	gotChars, okC := m.Value(charactersConcatenated)
	if okI && okC && gotInts == ints && gotChars == chars {
		return nil
	}
	var b strings.Builder
	b.WriteString("after")
	for _, x := range sent {
		fmt.Fprintf(&b, "\n    %s (answered %d)", x, x.status)
	}
	fmt.Fprintf(&b, "\n/metrics shows\n    %s\n    %s\nbut it should show %s %g and %s %g: %s",
		orNothing(m.Named(integersSummed).String()), orNothing(m.Named(charactersConcatenated).String()),
		integersSummed, ints, charactersConcatenated, chars,
		"2 integers for each successful Sum, the length in bytes (len) of each Concat result, nothing for a call that breaks a rule")
	return errors.New(b.String())
}
