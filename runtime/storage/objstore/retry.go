package objstore

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"syscall"
	"time"

	"gocloud.dev/gcerrors"
)

// retry runs an idempotent op, retrying throttling and transient errors
// with jittered exponential backoff.
func (s *ObjectStore) retry(ctx context.Context, op func() error) error {
	for attempt := 0; ; attempt++ {
		err := op()
		if err == nil || ctx.Err() != nil || attempt >= s.opts.MaxRetries || !isTransient(err) {
			return err
		}
		if serr := s.sleep(ctx, attempt); serr != nil {
			return err
		}
	}
}

// sleep waits before retry attempt+1: base·2^attempt capped at MaxBackoff,
// with full jitter in [d/2, d).
func (s *ObjectStore) sleep(ctx context.Context, attempt int) error {
	d := s.opts.BaseBackoff << min(attempt, 16)
	if d > s.opts.MaxBackoff || d <= 0 {
		d = s.opts.MaxBackoff
	}
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// httpStatus returns the HTTP status of a cloud SDK's error, or 0. The
// AWS SDK's errors tell it by a method; GCS's and Azure's SDKs retry
// throttling and server errors themselves, and gcsblob maps 429 to
// ResourceExhausted.
func httpStatus(err error) int {
	var hs interface{ HTTPStatusCode() int }
	if errors.As(err, &hs) {
		return hs.HTTPStatusCode()
	}
	return 0
}

// apiCode returns the service's error code (AWS: "SlowDown", ...), or "".
func apiCode(err error) string {
	var ae interface{ ErrorCode() string }
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// isThrottled reports whether the store refused the request without
// carrying it out, because of load (HTTP 429, 503 SlowDown) or, on S3, a
// concurrent conditional write of the same key (409
// ConditionalRequestConflict).
func isThrottled(err error) bool {
	if gcerrors.Code(err) == gcerrors.ResourceExhausted {
		return true
	}
	switch apiCode(err) {
	case "SlowDown", "Throttling", "ThrottlingException", "TooManyRequests",
		"RequestLimitExceeded", "ServiceUnavailable", "XMinioServerNotInitialized",
		// S3: a conditional write raced another on the same key
		// and was not carried out; AWS says to retry it.
		"ConditionalRequestConflict":
		return true
	}
	switch httpStatus(err) {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return true
	}
	return false
}

// isTransient reports whether an idempotent operation that failed with err
// may succeed if repeated: throttling, server errors, timeouts and broken
// connections.
func isTransient(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	switch gcerrors.Code(err) {
	case gcerrors.NotFound, gcerrors.FailedPrecondition, gcerrors.PermissionDenied,
		gcerrors.InvalidArgument, gcerrors.AlreadyExists, gcerrors.Unimplemented:
		return false
	}
	if isThrottled(err) {
		return true
	}
	switch apiCode(err) {
	case "InternalError", "RequestTimeout", "RequestTimeoutException":
		return true
	}
	switch httpStatus(err) {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout, http.StatusRequestTimeout:
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}
