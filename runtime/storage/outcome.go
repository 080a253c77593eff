package storage

import (
	"context"
	"errors"
	"fmt"
)

// UnknownOutcomeError is returned by PutIfAbsent when it cannot tell
// whether the object was written: the request may have reached the store
// but no answer came back (a timeout, a reset connection, a server error),
// or the store refused it as already existing while the object holds
// exactly the bytes we wrote (which is what an SDK's retry of our own
// successful write sees). It never matches ErrExist.
//
// The caller must not blindly retry at the same name as if nothing had
// happened, nor treat the name as taken by someone else. It resolves the
// outcome by reading the object back ([ResolvePut]): a Delta commit
// compares the version file with the bytes it wrote (unique to it, as its
// commitInfo carries a txnId), and treats its own bytes as success, other
// bytes as a lost race and no object as not written.
type UnknownOutcomeError struct {
	// Name is the object's name and URL its location.
	Name, URL string
	// SameContent is true when the store refused the write as existing
	// and the object holds the bytes we wrote.
	SameContent bool
	// Err is the underlying error.
	Err error
}

func (e *UnknownOutcomeError) Error() string {
	if e.SameContent {
		return fmt.Sprintf("storage: put %s: outcome unknown: refused as existing but the object holds our bytes: %v", e.URL, e.Err)
	}
	return fmt.Sprintf("storage: put %s: outcome unknown: %v", e.URL, e.Err)
}

func (e *UnknownOutcomeError) Unwrap() error { return e.Err }

// IsUnknownOutcome reports whether err is (or wraps) an
// [*UnknownOutcomeError].
func IsUnknownOutcome(err error) bool {
	var u *UnknownOutcomeError
	return errors.As(err, &u)
}

// PutOutcome is how [ResolvePut] decided a PutIfAbsent of unknown outcome.
type PutOutcome int

const (
	// PutUnresolved: the object could not be read; ResolvePut's error
	// says why (ErrNotExist: it was not written, or not yet).
	PutUnresolved PutOutcome = iota
	// PutOurs: the object holds exactly our bytes.
	PutOurs
	// PutTheirs: the object holds other bytes: another writer won.
	PutTheirs
)

func (o PutOutcome) String() string {
	switch o {
	case PutOurs:
		return "ours"
	case PutTheirs:
		return "theirs"
	}
	return "unresolved"
}

// ResolvePut reads name back after a PutIfAbsent of data gave an
// [*UnknownOutcomeError] and says whose the object is. Equal bytes mean
// ours only if the content is unique to this writer; the caller knows
// whether it is.
func ResolvePut(ctx context.Context, s Storage, name string, data []byte) (PutOutcome, error) {
	got, err := s.Read(ctx, name)
	if err != nil {
		return PutUnresolved, err
	}
	if string(got) == string(data) {
		return PutOurs, nil
	}
	return PutTheirs, nil
}
