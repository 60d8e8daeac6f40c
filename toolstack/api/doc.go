// Package api is the toolstack's REST interface: JSON over HTTP/1.1 on a
// Unix socket, between the `xenolith` CLI (or any client) and
// `xenolith daemon`. docs/api.md documents every route.
//
// Data flow:
//
//	CLI command -> Client (one method per route) -> Unix socket
//	  -> Handler (route table, strict decoding, error mapping)
//	  -> Lifecycle (implemented by toolstack/daemon; faked in tests)
//
// The package holds both ends so they cannot drift: the request and
// response types, the route table, the Lifecycle interface the server
// calls (each method says which domain states it allows), the typed
// Client, and the console stream (an HTTP upgrade to raw bytes).
//
// Errors travel as {"error": "...", "field": "..."} with 400 (bad
// request or config; xl.cfg errors carry file:line: key), 404 (unknown
// domain), 409 (state or name conflict), 504 (the guest did not react in
// time) or 500; the Client returns them as *Error, which matches the
// sentinels ErrBadRequest, ErrNotFound, ErrConflict and ErrTimeout with
// errors.Is.
package api
