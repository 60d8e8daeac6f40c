package xlcfg

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF     tokKind = iota
	tNewline         // '\n'; a comment ends at one
	tSemi            // ';'
	tEq              // '='
	tAppend          // '+='
	tLBrack          // '['
	tRBrack          // ']'
	tComma           // ','
	tWord            // a bare word: a key, or an unquoted string (an error)
	tNumber          // 512, 0x200, 01000
	tString          // "..." or '...'
)

type token struct {
	kind tokKind
	text string // tWord, tNumber: as written; tString: decoded
	num  int64  // tNumber
	line int
	col  int
}

// scanner splits xl.cfg text into tokens. It mirrors libxlu's flex lexer
// (tools/libs/util/libxlu_cfg_l.l) with a few additions: CRLF line ends,
// backslash line continuation, and words and numbers scanned greedily so a
// mistake is reported whole ("512M", not "512" then "M").
type scanner struct {
	name string
	src  []byte
	off  int
	line int
	col  int
}

func (s *scanner) errorf(line, col int, format string, args ...any) *SyntaxError {
	return &SyntaxError{File: s.name, Line: line, Col: col, Msg: fmt.Sprintf(format, args...), Err: ErrSyntax}
}

func (s *scanner) advance(n int) {
	for ; n > 0; n-- {
		if s.src[s.off] == '\n' {
			s.line++
			s.col = 1
		} else {
			s.col++
		}
		s.off++
	}
}

// continuation is the length of a backslash line continuation at off
// (backslash, optional blanks, optional CR, newline), or 0.
func (s *scanner) continuation() int {
	i := s.off
	if i >= len(s.src) || s.src[i] != '\\' {
		return 0
	}
	for i++; i < len(s.src) && (s.src[i] == ' ' || s.src[i] == '\t' || s.src[i] == '\r'); i++ {
	}
	if i < len(s.src) && s.src[i] == '\n' {
		return i + 1 - s.off
	}
	return 0
}

// skip passes blanks, comments and line continuations.
func (s *scanner) skip() {
	for s.off < len(s.src) {
		switch c := s.src[s.off]; {
		case c == ' ' || c == '\t' || c == '\r':
			s.advance(1)
		case c == '#':
			for s.off < len(s.src) && s.src[s.off] != '\n' {
				s.advance(1)
			}
		case c == '\\' && s.continuation() > 0:
			s.advance(s.continuation())
		default:
			return
		}
	}
}

func isWordStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '/' || c == '.' || c == '-' || c == '~'
}

func isWordChar(c byte) bool {
	return isWordStart(c) || c >= '0' && c <= '9' || c == ':'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (s *scanner) next() (token, error) {
	s.skip()
	t := token{line: s.line, col: s.col}
	if s.off >= len(s.src) {
		t.kind = tEOF
		return t, nil
	}
	c := s.src[s.off]
	if k, ok := singles[c]; ok {
		s.advance(1)
		t.kind = k
		return t, nil
	}
	switch {
	case c == '+' && s.off+1 < len(s.src) && s.src[s.off+1] == '=':
		s.advance(2)
		t.kind = tAppend
		return t, nil
	case c == '"' || c == '\'':
		return s.scanString(t)
	case isDigit(c):
		start := s.off
		for s.off < len(s.src) && isWordChar(s.src[s.off]) {
			s.advance(1)
		}
		t.kind, t.text = tNumber, string(s.src[start:s.off])
		n, msg := parseNumber(t.text)
		if msg != "" {
			return t, s.errorf(t.line, t.col, "%s", msg)
		}
		t.num = n
		return t, nil
	case isWordStart(c):
		start := s.off
		for s.off < len(s.src) && isWordChar(s.src[s.off]) {
			s.advance(1)
		}
		t.kind, t.text = tWord, string(s.src[start:s.off])
		return t, nil
	case c == '\\':
		return t, s.errorf(t.line, t.col, `stray backslash: outside quotes, \ may only end a line to continue it on the next`)
	case c == '+' || c == '(' || c == ')' || c == '{' || c == '}':
		return t, s.errorf(t.line, t.col, `unexpected %q: xl.cfg is not Python; values are "strings", numbers and [lists]`, c)
	}
	r, _ := utf8.DecodeRune(s.src[s.off:])
	switch {
	case r == utf8.RuneError:
		return t, s.errorf(t.line, t.col, "unexpected byte 0x%02x: the file is not UTF-8 text here", c)
	case r == '\u201c' || r == '\u201d' || r == '\u2018' || r == '\u2019':
		return t, s.errorf(t.line, t.col, `unexpected %q (a typographic quote): use plain " or ' quotes`, r)
	case r < 0x20 || r == 0x7f:
		return t, s.errorf(t.line, t.col, "unexpected control character 0x%02x", r)
	}
	return t, s.errorf(t.line, t.col, "unexpected character %q", r)
}

// scanString reads a quoted string. Both quote kinds take the C escapes
// libxlu's dequote knows (\n \t \r \a \b \f \v \\ \" \' \xHH \ooo), so
// 'a\tb' is a tab, as in xl. A backslash at the end of a line continues
// the string on the next line; a raw newline is an error, as in xl.
func (s *scanner) scanString(t token) (token, error) {
	q := s.src[s.off]
	s.advance(1)
	var b []byte
	unterminated := func() (token, error) {
		return t, s.errorf(t.line, t.col, "unterminated string (add the closing %c)", q)
	}
	for {
		if s.off >= len(s.src) || s.src[s.off] == '\n' {
			return unterminated()
		}
		if len(b) > MaxStringLen {
			return t, &SyntaxError{File: s.name, Line: t.line, Col: t.col, Err: ErrLimit,
				Msg: fmt.Sprintf("string longer than %d bytes", MaxStringLen)}
		}
		c := s.src[s.off]
		if c == q {
			s.advance(1)
			t.kind, t.text = tString, string(b)
			return t, nil
		}
		if c != '\\' {
			b = append(b, c)
			s.advance(1)
			continue
		}
		if n := s.continuation(); n > 0 {
			s.advance(n)
			continue
		}
		line, col := s.line, s.col
		s.advance(1)
		if s.off >= len(s.src) {
			return unterminated()
		}
		e := s.src[s.off]
		if r, ok := simpleEscapes[e]; ok {
			b = append(b, r)
			s.advance(1)
			continue
		}
		switch {
		case e == 'x':
			s.advance(1)
			if s.off+2 > len(s.src) || !isHex(s.src[s.off]) || !isHex(s.src[s.off+1]) {
				return t, s.errorf(line, col, `\x must be followed by two hex digits (\x41 is "A")`)
			}
			v, _ := strconv.ParseUint(string(s.src[s.off:s.off+2]), 16, 8)
			b = append(b, byte(v))
			s.advance(2)
		case e >= '0' && e <= '7':
			end := s.off
			for end < len(s.src) && end < s.off+3 && s.src[end] >= '0' && s.src[end] <= '7' {
				end++
			}
			v, _ := strconv.ParseUint(string(s.src[s.off:end]), 8, 16)
			if v > 0xff {
				return t, s.errorf(line, col, `octal escape \%s is more than \377`, s.src[s.off:end])
			}
			b = append(b, byte(v))
			s.advance(end - s.off)
		default:
			r, _ := utf8.DecodeRune(s.src[s.off:])
			return t, s.errorf(line, col, `unknown escape \%c in string (write \\ for a backslash)`, r)
		}
	}
}

var singles = map[byte]tokKind{'\n': tNewline, ';': tSemi, '=': tEq, '[': tLBrack, ']': tRBrack, ',': tComma}

var simpleEscapes = map[byte]byte{
	'n': '\n', 't': '\t', 'r': '\r', 'a': '\a', 'b': '\b', 'f': '\f', 'v': '\v',
	'\\': '\\', '"': '"', '\'': '\'',
}

func isHex(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// parseNumber reads a number token the way xl's strtol(s, 0) does: 0x
// hex, 0-prefixed octal, else decimal. It returns a message on error.
func parseNumber(s string) (int64, string) {
	bad := func() string {
		return fmt.Sprintf("invalid number %s: numbers are decimal, 0x hex or 0-prefixed octal, with no unit (quote strings: %q)", trunc(s), trunc(s))
	}
	base, digits := 10, s
	switch {
	case len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		base, digits = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, digits = 8, s[1:]
	}
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		ok := isDigit(c) && (base != 8 || c <= '7') || base == 16 && isHex(c)
		if !ok {
			if base == 8 && isDigit(c) && allDigits(digits) {
				return 0, fmt.Sprintf("invalid number %s: a leading 0 means octal in xl.cfg (write %s)", trunc(s), trunc(trimZeros(s)))
			}
			return 0, bad()
		}
	}
	if digits == "" {
		return 0, bad()
	}
	n, err := strconv.ParseInt(digits, base, 64)
	if err != nil {
		return 0, fmt.Sprintf("number %s is too large (the most is %d)", trunc(s), int64(math.MaxInt64))
	}
	return n, ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

// trunc shortens input echoed in a message, so a hostile 1 MiB token does
// not make a 1 MiB error.
func trunc(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}
