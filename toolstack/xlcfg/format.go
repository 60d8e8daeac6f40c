package xlcfg

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// String formats f as xl.cfg text, one setting per line in file order, so
// that Parse gives back the same settings (positions aside). Comments and
// layout are not kept; numbers keep the text they were written with.
func (f *File) String() string {
	var b strings.Builder
	for _, s := range f.Settings {
		b.WriteString(s.Key)
		b.WriteString(" ")
		b.WriteString(s.Op.String())
		b.WriteString(" ")
		s.Value.format(&b)
		b.WriteString("\n")
	}
	return b.String()
}

// String formats v in xl.cfg syntax: "text", 512, [ "a", 1 ].
func (v Value) String() string {
	var b strings.Builder
	v.format(&b)
	return b.String()
}

func (v Value) format(b *strings.Builder) {
	switch v.Kind {
	case Number:
		// Keep the text as written (0x200) when it still says Num.
		if n, msg := parseNumber(v.Str); msg == "" && n == v.Num {
			b.WriteString(v.Str)
		} else {
			b.WriteString(strconv.FormatInt(v.Num, 10))
		}
	case List:
		if len(v.List) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[ ")
		for i, item := range v.List {
			if i > 0 {
				b.WriteString(", ")
			}
			item.format(b)
		}
		b.WriteString(" ]")
	default:
		quote(b, v.Str)
	}
}

// quote writes s in double quotes with the escapes the scanner reads back:
// control characters and bytes that are not UTF-8 become \xHH, so the
// result is one line of valid UTF-8.
func quote(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
			i++
			continue
		case '\n':
			b.WriteString(`\n`)
			i++
			continue
		case '\t':
			b.WriteString(`\t`)
			i++
			continue
		case '\r':
			b.WriteString(`\r`)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if c < 0x20 || c == 0x7f || r == utf8.RuneError && size == 1 {
			b.WriteString(`\x`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
			i++
			continue
		}
		b.WriteString(s[i : i+size])
		i += size
	}
	b.WriteByte('"')
}
