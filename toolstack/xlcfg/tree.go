package xlcfg

import (
	"fmt"
	"strconv"
	"strings"
)

// Limits against hostile input. Real configs are a few KiB.
const (
	// MaxFileSize is the largest config file Parse accepts, in bytes.
	MaxFileSize = 1 << 20
	// MaxStringLen is the longest string value in bytes, after escapes are
	// decoded and += has appended.
	MaxStringLen = 64 << 10
	// MaxListLen is the most items a list holds, after += has appended.
	MaxListLen = 4096
)

// Kind is the type of a Value.
type Kind int

const (
	String Kind = iota + 1 // "text" or 'text'
	Number                 // 512, 0x200 or 01000
	List                   // [ v1, v2 ] of strings and numbers
)

func (k Kind) String() string {
	switch k {
	case String:
		return "string"
	case Number:
		return "number"
	case List:
		return "list"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Op is how a setting applies its value.
type Op int

const (
	OpSet    Op = iota // KEY = VALUE: replaces any earlier value
	OpAppend           // KEY += VALUE: appends to the earlier value (string or list)
)

func (o Op) String() string {
	if o == OpAppend {
		return "+="
	}
	return "="
}

// Value is one value as written in the file.
type Value struct {
	Kind Kind
	// Str is the decoded text of a String, and the text of a Number as
	// written (xl keeps numbers as text: "0x200" stays "0x200").
	Str  string
	Num  int64   // value of a Number
	List []Value // items of a List; never Lists themselves
	Line int     // 1-based position of the value's first character
	Col  int
}

// Setting is one KEY = VALUE or KEY += VALUE.
type Setting struct {
	Key   string
	Op    Op
	Value Value
	Line  int // 1-based position of the key
	Col   int
}

// File is a parsed config: every setting in file order, including keys set
// more than once.
type File struct {
	Name     string // as given to Parse; used in error messages
	Settings []Setting
}

// Lookup returns the value xl would use for key: the last KEY = VALUE,
// extended by the KEY += VALUE settings after it. For a bare KEY = VALUE
// the setting is returned as is; otherwise Op, Line and Col are those of
// the last setting and Value is the concatenation (a String, or a List).
func (f *File) Lookup(key string) (Setting, bool) {
	var ss []*Setting
	for i := range f.Settings {
		if f.Settings[i].Key == key {
			ss = append(ss, &f.Settings[i])
		}
	}
	if len(ss) == 0 {
		return Setting{}, false
	}
	last := *ss[len(ss)-1]
	v, _, err := resolve(ss, nil)
	if err != nil {
		// Parse never builds such a file; for hand-made ones the last wins.
		return last, true
	}
	last.Value = v
	return last, true
}

// accum tracks what += has built for one key so far, without building it,
// so Parse can check kinds and limits in one pass.
type accum struct {
	set  bool
	list bool
	n    int    // bytes of a string, items of a list
	at   string // where the value being appended to was set
}

// accumError is why accum.add refused a setting.
type accumError struct {
	msg   string
	limit bool // a size limit, not a kind mismatch
}

func (e *accumError) Error() string { return e.msg }

// add applies s, found at at ("line 3"), or says why it cannot be
// applied (*accumError).
func (a *accum) add(s *Setting, at string) error {
	list := s.Value.Kind == List
	n := len(s.Value.Str)
	if list {
		n = len(s.Value.List)
	}
	if s.Op == OpSet || !a.set {
		*a = accum{set: true, list: list, n: n, at: at}
		return nil
	}
	if list != a.list {
		return &accumError{msg: fmt.Sprintf("cannot append a %s to %q, which holds a %s (set at %s): xl appends strings to strings and lists to lists",
			kindWord(list), trunc(s.Key), kindWord(a.list), a.at)}
	}
	if list && a.n+n > MaxListLen {
		return &accumError{limit: true, msg: fmt.Sprintf("%q has more than %d list items after +=", trunc(s.Key), MaxListLen)}
	}
	if !list && a.n+n > MaxStringLen {
		return &accumError{limit: true, msg: fmt.Sprintf("%q is longer than %d bytes after +=", trunc(s.Key), MaxStringLen)}
	}
	a.n += n
	return nil
}

func kindWord(list bool) string {
	if list {
		return "list"
	}
	return "string"
}

// resolve folds the settings of one key, oldest first, into the value xl
// uses. On error it also returns the index of the setting at fault. at
// names where setting i is for messages; nil means "line N".
func resolve(ss []*Setting, at func(i int) string) (Value, int, error) {
	start := 0
	for i, s := range ss {
		if s.Op == OpSet {
			start = i
		}
	}
	var a accum
	for i, s := range ss[start:] {
		where := "line " + strconv.Itoa(s.Line)
		if at != nil {
			where = at(start + i)
		}
		if err := a.add(s, where); err != nil {
			return Value{}, start + i, err
		}
	}
	if start == len(ss)-1 {
		return ss[start].Value, 0, nil
	}
	last := ss[len(ss)-1].Value
	v := Value{Line: last.Line, Col: last.Col}
	if a.list {
		v.Kind = List
		v.List = make([]Value, 0, a.n)
		for _, s := range ss[start:] {
			v.List = append(v.List, s.Value.List...)
		}
		return v, 0, nil
	}
	// Appended numbers become text, as in xl ("1" += "2" is "12").
	var b strings.Builder
	b.Grow(a.n)
	for _, s := range ss[start:] {
		b.WriteString(scalarText(s.Value))
	}
	v.Kind = String
	v.Str = b.String()
	return v, 0, nil
}

// scalarText is the text xl stores for a String or Number.
func scalarText(v Value) string {
	if v.Kind == Number && v.Str == "" {
		return strconv.FormatInt(v.Num, 10)
	}
	return v.Str
}
