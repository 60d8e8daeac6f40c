package api

import (
	"errors"
	"fmt"
	"net/http"
)

// Sentinel errors, for errors.Is. A Lifecycle returns them (wrapped, or
// as an *Error with the matching Status) and the server maps them to
// HTTP statuses; an *Error from the Client matches the one of its Status.
var (
	// ErrBadRequest (400): a malformed body, a bad field or config.
	ErrBadRequest = errors.New("bad request")
	// ErrNotFound (404): no domain has that id or name.
	ErrNotFound = errors.New("not found")
	// ErrConflict (409): the domain's state does not allow the request,
	// or a name is taken.
	ErrConflict = errors.New("conflict")
	// ErrTimeout (504): the guest did not react in time (shutdown with
	// wait); nothing was destroyed.
	ErrTimeout = errors.New("timed out")
	// ErrNoDaemon: nothing listens on the socket. The Client's error
	// wraps it and says how to start a daemon.
	ErrNoDaemon = errors.New("no xenolith daemon")
)

// Error is an error response: the HTTP status and the body's error and
// field. Lifecycle implementations return it to choose the status and
// name the request field at fault.
type Error struct {
	Status  int    `json:"-"`
	Message string `json:"error"`
	Field   string `json:"field,omitempty"` // the request field at fault, if one is
}

func (e *Error) Error() string { return e.Message }

// Is matches the sentinel of e's status.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrBadRequest:
		return e.Status == http.StatusBadRequest
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrConflict:
		return e.Status == http.StatusConflict
	case ErrTimeout:
		return e.Status == http.StatusGatewayTimeout
	}
	return false
}

// BadRequest returns a 400 error about field.
func BadRequest(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...), Field: field}
}

// NotFound returns the 404 for a domain id or name, as the CLI prints it:
// domain "foo" not found.
func NotFound(ref string) *Error {
	return &Error{Status: http.StatusNotFound, Message: fmt.Sprintf("domain %q not found", ref)}
}

// Conflict returns a 409 error.
func Conflict(format string, args ...any) *Error {
	return &Error{Status: http.StatusConflict, Message: fmt.Sprintf(format, args...)}
}

// Timeout returns a 504 error.
func Timeout(format string, args ...any) *Error {
	return &Error{Status: http.StatusGatewayTimeout, Message: fmt.Sprintf(format, args...)}
}

// toError turns a Lifecycle error into the response: an *Error as it is,
// a wrapped sentinel with its status, anything else a 500.
func toError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		if e.Status == 0 {
			return &Error{Status: http.StatusInternalServerError, Message: e.Message, Field: e.Field}
		}
		return e
	}
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrBadRequest):
		status = http.StatusBadRequest
	case errors.Is(err, ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, ErrConflict):
		status = http.StatusConflict
	case errors.Is(err, ErrTimeout):
		status = http.StatusGatewayTimeout
	}
	return &Error{Status: status, Message: err.Error()}
}

// noDaemonError is the Client's error when nothing listens on the socket.
type noDaemonError struct {
	socket string
	err    error // the dial error
}

func (e *noDaemonError) Error() string {
	return fmt.Sprintf("no xenolith daemon at %s: start one with \"xenolith daemon\" (or set XENOLITH_SOCKET)", e.socket)
}

func (e *noDaemonError) Unwrap() []error { return []error{ErrNoDaemon, e.err} }
