package xlcfg

import (
	"bytes"
	"fmt"
	"strconv"
)

// Parse reads xl.cfg text. It checks syntax only: any key is accepted.
// name is used in error messages. The grammar is libxlu's
// (tools/libs/util/libxlu_cfg_y.y), without nested lists:
//
//	file    = { [ setting ] ( NEWLINE | ";" ) } [ setting ]
//	setting = KEY ( "=" | "+=" ) value
//	value   = atom | "[" { NEWLINE } [ atom { "," { NEWLINE } atom } [ "," ] ] { NEWLINE } "]"
//	atom    = STRING | NUMBER
//
// NEWLINEs may also follow each list item; comments run from # to the end
// of the line. The first error is returned, as a *SyntaxError.
func Parse(name string, src []byte) (*File, error) {
	return parse(name, src, false)
}

// parse is Parse; cmdline tunes messages for xl create's key=value
// arguments, where the shell eats quotes.
func parse(name string, src []byte, cmdline bool) (*File, error) {
	if len(src) > MaxFileSize {
		return nil, &SyntaxError{File: name, Err: ErrLimit,
			Msg: fmt.Sprintf("file is %d bytes, more than the %d byte (1 MiB) limit", len(src), MaxFileSize)}
	}
	p := &parser{
		s:       scanner{name: name, src: src, line: 1, col: 1},
		f:       &File{Name: name},
		keys:    map[string]*accum{},
		cmdline: cmdline,
	}
	if bytes.HasPrefix(src, []byte("\uFEFF")) {
		// Some editors start UTF-8 files with a byte order mark; it is not a column.
		p.s.off = len("\uFEFF")
	}
	if i := bytes.IndexByte(src, 0); i >= 0 {
		p.s.advance(i - p.s.off)
		return nil, p.s.errorf(p.s.line, p.s.col, "NUL byte in file: is this a text file?")
	}
	if err := p.file(); err != nil {
		return nil, err
	}
	return p.f, nil
}

type parser struct {
	s       scanner
	tok     token
	f       *File
	keys    map[string]*accum
	cmdline bool
}

func (p *parser) next() error {
	t, err := p.s.next()
	p.tok = t
	return err
}

func (p *parser) errorf(format string, args ...any) error {
	return p.s.errorf(p.tok.line, p.tok.col, format, args...)
}

func (p *parser) file() error {
	if err := p.next(); err != nil {
		return err
	}
	for {
		switch p.tok.kind {
		case tEOF:
			return nil
		case tNewline, tSemi:
			if err := p.next(); err != nil {
				return err
			}
			continue
		}
		if err := p.setting(); err != nil {
			return err
		}
		switch p.tok.kind {
		case tEOF, tNewline, tSemi:
		default:
			return p.errorf("expected a new line or ';' after the value of %q, got %s", trunc(p.f.Settings[len(p.f.Settings)-1].Key), describe(p.tok))
		}
	}
}

func (p *parser) setting() error {
	key := p.tok
	switch key.kind {
	case tWord:
		if !isKey(key.text) {
			return p.errorf("invalid key %q: a key is a letter or _ followed by letters, digits and _", trunc(key.text))
		}
	case tEq, tAppend:
		return p.errorf("missing key before %s", describe(key))
	case tString:
		return p.errorf(`expected a key, got %s: keys are not quoted (name = "value")`, describe(key))
	default:
		return p.errorf("expected a key, got %s", describe(key))
	}
	if err := p.next(); err != nil {
		return err
	}
	s := Setting{Key: key.text, Line: key.line, Col: key.col}
	switch p.tok.kind {
	case tEq:
		s.Op = OpSet
	case tAppend:
		s.Op = OpAppend
	case tNewline, tEOF, tSemi:
		return p.errorf("key %q has no value (write %s = VALUE)", trunc(key.text), trunc(key.text))
	default:
		return p.errorf("expected '=' after key %q, got %s", trunc(key.text), describe(p.tok))
	}
	if err := p.next(); err != nil {
		return err
	}
	v, err := p.value(s.Key, s.Op)
	if err != nil {
		return err
	}
	s.Value = v
	a := p.keys[s.Key]
	if a == nil {
		a = &accum{}
		p.keys[s.Key] = a
	}
	if err := a.add(&s, "line "+strconv.Itoa(s.Line)); err != nil {
		se := p.s.errorf(v.Line, v.Col, "%v", err)
		if err.(*accumError).limit {
			se.Err = ErrLimit
		}
		return se
	}
	p.f.Settings = append(p.f.Settings, s)
	return nil
}

func isKey(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
		if !letter && (i == 0 || !isDigit(c)) {
			return false
		}
	}
	return s != ""
}

// value parses a value and moves past it.
func (p *parser) value(key string, op Op) (Value, error) {
	t := p.tok
	switch t.kind {
	case tString, tNumber:
		if err := p.next(); err != nil {
			return Value{}, err
		}
		return atom(t), nil
	case tLBrack:
		return p.list()
	case tWord:
		return Value{}, p.unquoted(t, fmt.Sprintf("%s %s %q", trunc(key), op, trunc(t.text)))
	case tNewline, tEOF, tSemi:
		return Value{}, p.errorf("missing value after %q (write %s %s VALUE)", trunc(key)+" "+op.String(), trunc(key), op)
	}
	return Value{}, p.errorf("expected a value after %q, got %s", trunc(key)+" "+op.String(), describe(t))
}

func atom(t token) Value {
	if t.kind == tNumber {
		return Value{Kind: Number, Str: t.text, Num: t.num, Line: t.line, Col: t.col}
	}
	return Value{Kind: String, Str: t.text, Line: t.line, Col: t.col}
}

// unquoted reports a bare word where a value belongs; fix shows the
// setting or item written correctly.
func (p *parser) unquoted(t token, fix string) error {
	if len(t.text) > 1 && t.text[0] == '-' && isDigit(t.text[1]) {
		return p.errorf("negative number %s: xl.cfg numbers cannot be negative", trunc(t.text))
	}
	msg := fmt.Sprintf("unquoted value %s: strings must be quoted (%s)", trunc(t.text), fix)
	if p.cmdline {
		// The shell removes one level of quotes before xl sees the argument.
		msg += "; quote it for the shell too: '" + fix + "'"
	}
	return p.errorf("%s", msg)
}

// list parses [ atom, ... ] and moves past the closing bracket.
func (p *parser) list() (Value, error) {
	open := p.tok
	v := Value{Kind: List, List: []Value{}, Line: open.line, Col: open.col}
	skipNewlines := func() error {
		for p.tok.kind == tNewline {
			if err := p.next(); err != nil {
				return err
			}
		}
		return nil
	}
	if err := p.next(); err != nil {
		return v, err
	}
	for {
		if err := skipNewlines(); err != nil {
			return v, err
		}
		t := p.tok
		switch t.kind {
		case tRBrack:
			return v, p.next()
		case tString, tNumber:
			if len(v.List) == MaxListLen {
				return v, &SyntaxError{File: p.s.name, Line: open.line, Col: open.col, Err: ErrLimit,
					Msg: fmt.Sprintf("list has more than %d items", MaxListLen)}
			}
			v.List = append(v.List, atom(t))
		case tLBrack:
			return v, p.errorf("nested list: lists hold only strings and numbers here (xl nests lists only for vnuma, which Xenolith does not support)")
		case tWord:
			return v, p.unquoted(t, fmt.Sprintf("%q", trunc(t.text)))
		case tComma:
			return v, p.errorf("empty list item: remove the extra ','")
		case tEOF:
			return v, p.s.errorf(open.line, open.col, "unterminated list (add the closing ])")
		default:
			return v, p.errorf("expected a list item or ']', got %s", describe(t))
		}
		if err := p.next(); err != nil {
			return v, err
		}
		if err := skipNewlines(); err != nil {
			return v, err
		}
		switch p.tok.kind {
		case tComma:
			if err := p.next(); err != nil {
				return v, err
			}
		case tRBrack:
			return v, p.next()
		case tEOF:
			return v, p.s.errorf(open.line, open.col, "unterminated list (add the closing ])")
		default:
			return v, p.errorf("expected ',' or ']' after a list item, got %s", describe(p.tok))
		}
	}
}

func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "end of file"
	case tNewline:
		return "end of line"
	case tSemi:
		return "';'"
	case tEq:
		return "'='"
	case tAppend:
		return "'+='"
	case tLBrack:
		return "'['"
	case tRBrack:
		return "']'"
	case tComma:
		return "','"
	case tNumber:
		return "number " + trunc(t.text)
	case tString:
		return fmt.Sprintf("string %q", trunc(t.text))
	}
	return fmt.Sprintf("%q", trunc(t.text))
}
