package xenstore

import (
	"bytes"
	"errors"
	"io"
	"strconv"

	"github.com/xenolith/xenolith/hypercall"
)

// HeaderSize is the size in bytes of struct xsd_sockmsg.
const HeaderSize = 16

// MaxMessageSize is the largest valid message in bytes: a header and
// XENSTORE_PAYLOAD_MAX payload bytes.
const MaxMessageSize = HeaderSize + hypercall.XenstorePayloadMax

// Message is one xenstore wire message (io/xs_wire.h): the xsd_sockmsg
// header fields (Len is len(Payload)) and the payload.
type Message struct {
	Type    uint32 // hypercall.Xs*
	ReqID   uint32 // chosen by the client, echoed in the reply
	TxID    uint32 // transaction, 0 = none
	Payload []byte // at most XenstorePayloadMax bytes
}

// header returns m's xsd_sockmsg.
func (m *Message) header() hypercall.XsdSockmsg {
	return hypercall.XsdSockmsg{Type: m.Type, ReqId: m.ReqID, TxId: m.TxID, Len: uint32(len(m.Payload))}
}

// Append appends m's wire encoding (header, then payload) to b.
func (m *Message) Append(b []byte) []byte {
	h := m.header()
	b, err := hypercall.Append(b, &h)
	if err != nil {
		// XsdSockmsg is a fixed-size struct: Append cannot fail.
		panic("xenstore: encoding xsd_sockmsg: " + err.Error())
	}
	return append(b, m.Payload...)
}

// decodeHeader decodes the 16-byte header at the start of b (len(b) >=
// HeaderSize) and checks its length field.
func decodeHeader(b []byte) (hypercall.XsdSockmsg, error) {
	var h hypercall.XsdSockmsg
	if err := hypercall.Decode(b[:HeaderSize], &h); err != nil {
		return h, err
	}
	if h.Len > hypercall.XenstorePayloadMax {
		return h, ErrPayloadTooLong
	}
	return h, nil
}

// ReadMessage reads one message from r. It returns io.EOF if r ends
// before the first byte, io.ErrUnexpectedEOF if it ends inside a message,
// and ErrPayloadTooLong, having read only the header, if the header
// announces more than XENSTORE_PAYLOAD_MAX bytes.
func ReadMessage(r io.Reader) (Message, error) {
	var hdr [HeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return Message{}, err
	}
	h, err := decodeHeader(hdr[:])
	if err != nil {
		return Message{}, err
	}
	m := Message{Type: h.Type, ReqID: h.ReqId, TxID: h.TxId, Payload: make([]byte, h.Len)}
	if _, err := io.ReadFull(r, m.Payload); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return Message{}, err
	}
	return m, nil
}

// ---- payload helpers: NUL-separated strings, as xenstored_core.c ----

// payloadStrings returns the NUL-terminated strings at the start of p, as
// C xenstored's get_strings: bytes after the last NUL are not a string.
func payloadStrings(p []byte) []string {
	var out []string
	for {
		i := bytes.IndexByte(p, 0)
		if i < 0 {
			return out
		}
		out = append(out, string(p[:i]))
		p = p[i+1:]
	}
}

// oneArg returns the single string of a payload that must hold exactly one
// NUL, at its end (C's onearg), or false.
func oneArg(p []byte) (string, bool) {
	if len(p) == 0 || bytes.IndexByte(p, 0) != len(p)-1 {
		return "", false
	}
	return string(p[:len(p)-1]), true
}

// appendString appends s and a NUL.
func appendString(b []byte, s string) []byte {
	b = append(b, s...)
	return append(b, 0)
}

// parseDecimal parses a decimal number of at most max, with no sign,
// spaces or leading "+" (C xenstored uses atoi; Xenolith refuses what
// atoi would silently read as 0).
func parseDecimal(s string, max uint64) (uint64, bool) {
	if s == "" || len(s) > 20 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v > max {
		return 0, false
	}
	return v, true
}

// parseDomid parses a decimal domid (0..65535).
func parseDomid(s string) (uint16, bool) {
	v, ok := parseDecimal(s, 0xffff)
	return uint16(v), ok
}

// typeName returns the XS_* name of a message type, for logs.
func typeName(t uint32) string {
	if t < uint32(len(opTable)) && opTable[t].name != "" {
		return opTable[t].name
	}
	switch t {
	case hypercall.XsWatchEvent:
		return "WATCH_EVENT"
	case hypercall.XsError:
		return "ERROR"
	}
	return "type " + strconv.FormatUint(uint64(t), 10)
}
