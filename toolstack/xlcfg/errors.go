package xlcfg

import (
	"errors"
	"strconv"
)

// Sentinel errors, for errors.Is. Every error this package returns for bad
// input is a *SyntaxError or a *ConfigError wrapping one of these.
var (
	// ErrSyntax: the text is not xl.cfg.
	ErrSyntax = errors.New("xl.cfg syntax error")
	// ErrLimit: the input is larger than a limit (MaxFileSize, MaxStringLen, MaxListLen).
	ErrLimit = errors.New("xl.cfg input too large")
	// ErrUnknownKey: a key Xenolith does not support.
	ErrUnknownKey = errors.New("unknown xl.cfg key")
	// ErrBadValue: a value of the wrong type or out of range.
	ErrBadValue = errors.New("bad xl.cfg value")
	// ErrMissingKey: a required key is not set.
	ErrMissingKey = errors.New("required xl.cfg key not set")
	// ErrUnsupported: valid for xl, but not something Xenolith runs (type = "hvm").
	ErrUnsupported = errors.New("unsupported by Xenolith")
)

// SyntaxError is an error found by Parse. It prints as FILE:LINE:COL: MSG,
// or FILE: MSG when it concerns the whole file (Line 0).
type SyntaxError struct {
	File string
	Line int // 1-based; 0 for the whole file
	Col  int // 1-based byte column
	Msg  string
	Err  error // ErrSyntax or ErrLimit
}

func (e *SyntaxError) Error() string {
	return position(e.File, e.Line, e.Col) + ": " + e.Msg
}

func (e *SyntaxError) Unwrap() error { return e.Err }

// ConfigError is an error found by Decode: a setting that is valid xl.cfg
// but not a valid Xenolith domain. It prints as FILE:LINE: MSG, or FILE: MSG
// for a missing key (Line 0). Msg names the key and says how to fix it.
type ConfigError struct {
	File string
	Line int
	Key  string
	Msg  string
	Err  error // ErrUnknownKey, ErrBadValue, ErrMissingKey or ErrUnsupported
}

func (e *ConfigError) Error() string {
	return position(e.File, e.Line, 0) + ": " + e.Msg
}

func (e *ConfigError) Unwrap() error { return e.Err }

func position(file string, line, col int) string {
	s := file
	if line > 0 {
		s += ":" + strconv.Itoa(line)
		if col > 0 {
			s += ":" + strconv.Itoa(col)
		}
	}
	return s
}
