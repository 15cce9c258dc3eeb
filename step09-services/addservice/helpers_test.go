package addservice_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/go-logfmt/logfmt"
	"github.com/stretchr/testify/require"
)

// stubService answers every call with the same values, and remembers the
// context it was given.
type stubService struct {
	sum    int
	concat string
	err    error
	ctx    context.Context
}

func (s *stubService) Sum(ctx context.Context, _, _ int) (int, error) {
	s.ctx = ctx
	return s.sum, s.err
}

func (s *stubService) Concat(ctx context.Context, _, _ string) (string, error) {
	s.ctx = ctx
	return s.concat, s.err
}

// errDatabase stands for any failure that is not a broken business rule.
var errDatabase = errors.New("database unreachable")

// decodeLogfmt reads logfmt lines into one key/value map per line.
func decodeLogfmt(t *testing.T, b []byte) []map[string]string {
	t.Helper()
	var records []map[string]string
	dec := logfmt.NewDecoder(bytes.NewReader(b))
	for dec.ScanRecord() {
		rec := map[string]string{}
		for dec.ScanKeyval() {
			rec[string(dec.Key())] = string(dec.Value())
		}
		records = append(records, rec)
	}
	require.NoError(t, dec.Err())
	return records
}

type ctxKey struct{}
