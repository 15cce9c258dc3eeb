package addtransport

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	"github.com/gokit-workshop/workshop/step09-services/addendpoint"
	"github.com/gokit-workshop/workshop/step09-services/pb"
)

// The fuzz tests feed the request decoders whatever bytes the fuzzer makes
// up: "go test -fuzz FuzzDecodeHTTPConcatRequest ./addtransport" runs one
// for as long as you let it. As plain tests they run the seed corpus in
// testdata/fuzz, which keeps every input that once broke them.

// maxErrorBytes is the most that a decoding error may say: it goes into the
// log and back to the caller (see decodeError).
const maxErrorBytes = 4*maxQuotedBytes + 32

// checkDecodeError fails unless err is a decoding error that the transports
// answer with 400 (or 413) and InvalidArgument, in a short UTF-8 message.
func checkDecodeError(t *testing.T, err error) {
	t.Helper()
	var tooLarge *http.MaxBytesError
	if !errors.As(err, &decodeError{}) || (errorStatus(err) != http.StatusBadRequest && !errors.As(err, &tooLarge)) {
		t.Fatalf("not a decoding error: %T %v", err, err)
	}
	if msg := err.Error(); len(msg) > maxErrorBytes || !utf8.ValidString(msg) {
		t.Fatalf("the message is too long or not UTF-8: %q", msg)
	}
}

// decodeHTTPBody runs decode over body as the HTTP transport does, with the
// body capped by postOnly.
func decodeHTTPBody(body []byte, decode func(context.Context, *http.Request) (any, error)) (any, error) {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
	r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, MaxBodyBytes)
	return decode(context.Background(), r)
}

func FuzzDecodeHTTPSumRequest(f *testing.F) {
	for _, body := range []string{`{"a":1,"b":2}`, `{"a":-1}`, `{"a":1.5}`, `{"a":"x"}`, `[]`, `{"a":1} {}`, `{"a":99999999999999999999}`} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeHTTPBody(body, decodeHTTPSumRequest)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if _, ok := req.(addendpoint.SumRequest); !ok {
			t.Fatalf("decoded into %T", req)
		}
		if !utf8.Valid(body) {
			t.Fatalf("a body that is not UTF-8 was decoded: %q", body)
		}
	})
}

func FuzzDecodeHTTPConcatRequest(f *testing.F) {
	for _, body := range []string{`{"a":"x","b":"y"}`, `{"a":"\u00e9"}`, `{"a":"\ud800"}`, "{\"a\":\"\xff\"}", `{"a":1}`, `{"a":"x"}x`} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeHTTPBody(body, decodeHTTPConcatRequest)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		r, ok := req.(addendpoint.ConcatRequest)
		if !ok {
			t.Fatalf("decoded into %T", req)
		}
		if !utf8.Valid(body) || !utf8.ValidString(r.A) || !utf8.ValidString(r.B) {
			t.Fatalf("not UTF-8, yet decoded: body %q into %q, %q", body, r.A, r.B)
		}
	})
}

// decodeGRPC decodes data as the gRPC server does: with grpc-go's protobuf
// codec, into a new message of req's type, then with decode.
func decodeGRPC(data []byte, req proto.Message, decode func(context.Context, any) (any, error)) (any, error) {
	if err := encoding.GetCodecV2(grpcproto.Name).Unmarshal(mem.BufferSlice{mem.SliceBuffer(data)}, req); err != nil {
		return nil, err
	}
	return decode(context.Background(), req)
}

func FuzzDecodeGRPCSumRequest(f *testing.F) {
	for _, req := range []*pb.SumRequest{{A: 1, B: 2}, {A: -1 << 40}, {}} {
		data, err := proto.Marshal(req)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want pb.SumRequest
		wantErr := proto.Unmarshal(data, &want)
		req, err := decodeGRPC(data, &pb.SumRequest{}, decodeGRPCSumRequest)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("the codec says %v, protobuf says %v", err, wantErr)
		}
		if err == nil && req != (addendpoint.SumRequest{A: int(want.A), B: int(want.B)}) {
			t.Fatalf("decoded %+v, protobuf says %+v", req, &want)
		}
	})
}

func FuzzDecodeGRPCConcatRequest(f *testing.F) {
	for _, req := range []*pb.ConcatRequest{{A: "x", B: "y"}, {A: "日本"}, {}} {
		data, err := proto.Marshal(req)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("\x0a\x01\xff\x12\x01y"))     // a: "\xff", b: "y"
	f.Add([]byte("\x0a\x01x\x12\x02\xe6\x97")) // b: a cut character
	f.Fuzz(func(t *testing.T, data []byte) {
		var want pb.ConcatRequest
		wantErr := proto.Unmarshal(data, &want)
		req, err := decodeGRPC(data, &pb.ConcatRequest{}, decodeGRPCConcatRequest)
		switch {
		case wantErr == nil && err != nil:
			t.Fatalf("protobuf decodes it, the codec says %v", err)
		case wantErr == nil && req != (addendpoint.ConcatRequest{A: want.A, B: want.B}):
			t.Fatalf("decoded %+v, protobuf says %+v", req, &want)
		case wantErr != nil && err == nil:
			t.Fatalf("protobuf says %v, yet decoded %+v", wantErr, req)
		case err != nil && errors.As(err, &decodeError{}):
			checkDecodeError(t, err)
		}
	})
}
