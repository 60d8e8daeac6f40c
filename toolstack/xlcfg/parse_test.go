package xlcfg

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func str(s string) Value             { return Value{Kind: String, Str: s} }
func num(text string, n int64) Value { return Value{Kind: Number, Str: text, Num: n} }
func list(vs ...Value) Value         { return Value{Kind: List, List: append([]Value{}, vs...)} }
func set(k string, v Value) Setting  { return Setting{Key: k, Op: OpSet, Value: v} }
func app(k string, v Value) Setting  { return Setting{Key: k, Op: OpAppend, Value: v} }

// stripValue zeroes positions, to compare trees built by hand.
func stripValue(v Value) Value {
	v.Line, v.Col = 0, 0
	if v.List != nil {
		items := make([]Value, len(v.List))
		for i, item := range v.List {
			items[i] = stripValue(item)
		}
		v.List = items
	}
	return v
}

func strip(ss []Setting) []Setting {
	out := make([]Setting, len(ss))
	for i, s := range ss {
		s.Line, s.Col = 0, 0
		s.Value = stripValue(s.Value)
		out[i] = s
	}
	return out
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []Setting
	}{
		{"empty", "", []Setting{}},
		{"only comments and blanks", "# a\n\n   # b\n\t\n", []Setting{}},
		{"string", `name = "vm1"`, []Setting{set("name", str("vm1"))}},
		{"single quotes", `name = 'vm1'`, []Setting{set("name", str("vm1"))}},
		{"no spaces", `name="vm1"`, []Setting{set("name", str("vm1"))}},
		{"empty string", `extra = ""`, []Setting{set("extra", str(""))}},
		{"escapes", `s = "a\nb\tc\\d\"e\'f\x41\101\0g\r\a\b\f\v"`,
			[]Setting{set("s", str("a\nb\tc\\d\"e'fAA\x00g\r\a\b\f\v"))}},
		{"escapes in single quotes, as xl", `s = 'it\'s\t"x"'`, []Setting{set("s", str("it's\t\"x\""))}},
		{"octal escape stops at 3 digits", `s = "\1011"`, []Setting{set("s", str("A1"))}},
		{"octal escape stops at non-octal", `s = "\18"`, []Setting{set("s", str("\x018"))}},
		{"hash inside string", `s = "a # b" # c`, []Setting{set("s", str("a # b"))}},
		{"semicolon inside string", `s = "a;b"`, []Setting{set("s", str("a;b"))}},
		{"utf-8", `s = "héllo ☃"`, []Setting{set("s", str("héllo ☃"))}},
		{"decimal", "memory = 512", []Setting{set("memory", num("512", 512))}},
		{"zero", "memory = 0", []Setting{set("memory", num("0", 0))}},
		{"hex", "memory = 0x200", []Setting{set("memory", num("0x200", 512))}},
		{"hex upper", "memory = 0XfF", []Setting{set("memory", num("0XfF", 255))}},
		{"octal, as xl's strtol", "memory = 01000", []Setting{set("memory", num("01000", 512))}},
		{"longest string", "a = '" + strings.Repeat("x", MaxStringLen) + "'", []Setting{set("a", str(strings.Repeat("x", MaxStringLen)))}},
		{"longest string with continuation", "a = '" + strings.Repeat("x", MaxStringLen) + "\\\n'", []Setting{set("a", str(strings.Repeat("x", MaxStringLen)))}},
		{"longest list", "a = [" + strings.Repeat("1,", MaxListLen) + "]", []Setting{set("a", list(func() []Value {
			vs := make([]Value, MaxListLen)
			for i := range vs {
				vs[i] = num("1", 1)
			}
			return vs
		}()...))}},
		{"int64 max", "n = 9223372036854775807", []Setting{set("n", num("9223372036854775807", 1<<63-1))}},
		{"comment after value", "memory = 512 # MiB\nvcpus = 2", []Setting{
			set("memory", num("512", 512)), set("vcpus", num("2", 2))}},
		{"semicolons", `name = "a"; memory = 1;vcpus=2;`, []Setting{
			set("name", str("a")), set("memory", num("1", 1)), set("vcpus", num("2", 2))}},
		{"empty statements", ";;\n;", []Setting{}},
		{"no final newline", "a = 1\nb = 2", []Setting{set("a", num("1", 1)), set("b", num("2", 2))}},
		{"crlf", "a = 1\r\nb = \"x\"\r\n", []Setting{set("a", num("1", 1)), set("b", str("x"))}},
		{"byte order mark", "\uFEFFa = 1", []Setting{set("a", num("1", 1))}},
		{"key with digits and underscores", "_a_1 = 1\nB2 = 2", []Setting{set("_a_1", num("1", 1)), set("B2", num("2", 2))}},
		{"empty list", "disk = []", []Setting{set("disk", list())}},
		{"empty list over lines", "disk = [\n\n]", []Setting{set("disk", list())}},
		{"list", `disk = [ "a", 'b', 3 ]`, []Setting{set("disk", list(str("a"), str("b"), num("3", 3)))}},
		{"list trailing comma", `disk = ["a",]`, []Setting{set("disk", list(str("a")))}},
		{"list over lines with comments", "disk = [ # disks\n  'a', # first\n\n  # between\n  'b' # second\n  ,\n  0x10,  # trailing comma\n]\nname = 'x'",
			[]Setting{set("disk", list(str("a"), str("b"), num("0x10", 16))), set("name", str("x"))}},
		{"append string", "extra = \"a\"\nextra += \" b\"", []Setting{set("extra", str("a")), app("extra", str(" b"))}},
		{"append list", "disk = ['a']\ndisk += ['b']", []Setting{set("disk", list(str("a"))), app("disk", list(str("b")))}},
		{"append without earlier value", "extra += \"a\"", []Setting{app("extra", str("a"))}},
		{"append after reset to other kind", "x = \"a\"\nx = ['b']\nx += ['c']", []Setting{
			set("x", str("a")), set("x", list(str("b"))), app("x", list(str("c")))}},
		{"key set twice is kept twice", "memory = 1\nmemory = 2", []Setting{set("memory", num("1", 1)), set("memory", num("2", 2))}},
		{"continuation between tokens", "memory = \\\n  512\nname \\\n= 'x'", []Setting{set("memory", num("512", 512)), set("name", str("x"))}},
		{"continuation with trailing blanks and CRLF", "memory = \\  \r\n 512", []Setting{set("memory", num("512", 512))}},
		{"continuation in list", "disk = [ 'a', \\\n 'b' ]", []Setting{set("disk", list(str("a"), str("b")))}},
		{"continuation inside string", "extra = \"console=hvc0 \\\nroot=/dev/xvda\"", []Setting{set("extra", str("console=hvc0 root=/dev/xvda"))}},
		{"backslash in comment does not continue", "a = 1 # x \\\nb = 2", []Setting{set("a", num("1", 1)), set("b", num("2", 2))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("t.cfg", []byte(tt.src))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if f.Name != "t.cfg" {
				t.Errorf("Name = %q", f.Name)
			}
			if got := strip(f.Settings); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("settings:\n got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestParsePositions(t *testing.T) {
	src := "# header\nname = \"vm\"\n  memory=512 ; vcpus = [\n 1,\n\t'x' ]\nextra = \\\n 'e'\n"
	f, err := Parse("p.cfg", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	type pos struct{ line, col, vline, vcol int }
	want := []pos{{2, 1, 2, 8}, {3, 3, 3, 10}, {3, 16, 3, 24}, {6, 1, 7, 2}}
	if len(f.Settings) != len(want) {
		t.Fatalf("got %d settings, want %d", len(f.Settings), len(want))
	}
	for i, s := range f.Settings {
		got := pos{s.Line, s.Col, s.Value.Line, s.Value.Col}
		if got != want[i] {
			t.Errorf("setting %d (%s): got %+v, want %+v", i, s.Key, got, want[i])
		}
	}
	items := f.Settings[2].Value.List
	if items[0].Line != 4 || items[0].Col != 2 || items[1].Line != 5 || items[1].Col != 2 {
		t.Errorf("list item positions: %+v", items)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		line, col int
		msg       string // substring of Msg
		err       error
	}{
		{"unterminated string at end of line", "name = \"vm\nmemory = 1", 1, 8, `unterminated string (add the closing ")`, ErrSyntax},
		{"unterminated string at end of file", "\n\nname = 'vm", 3, 8, `unterminated string (add the closing ')`, ErrSyntax},
		{"unterminated after backslash", `name = "vm\`, 1, 8, "unterminated string", ErrSyntax},
		{"unknown escape", `kernel = "C:\path"`, 1, 13, `unknown escape \p`, ErrSyntax},
		{"unknown escape message", `kernel = "a\qb"`, 1, 12, `unknown escape \q in string (write \\ for a backslash)`, ErrSyntax},
		{"short hex escape", `s = "\x4"`, 1, 6, `\x must be followed by two hex digits`, ErrSyntax},
		{"octal escape too big", `s = "\777"`, 1, 6, `octal escape \777 is more than \377`, ErrSyntax},
		{"bad token", "memory = 512\nname = (\"x\")", 2, 8, `unexpected '(': xl.cfg is not Python`, ErrSyntax},
		{"plus without equals", "memory = 1 + 2", 1, 12, `unexpected '+'`, ErrSyntax},
		{"at sign", "a = @", 1, 5, `unexpected character '@'`, ErrSyntax},
		{"typographic quote", "name = \u201cvm\u201d", 1, 8, "typographic quote", ErrSyntax},
		{"invalid utf-8", "a = \xff", 1, 5, "unexpected byte 0xff", ErrSyntax},
		{"control character", "a = \x01", 1, 5, "unexpected control character 0x01", ErrSyntax},
		{"NUL byte", "a = 1\nb = 'x\x00'", 2, 7, "NUL byte in file", ErrSyntax},
		{"stray backslash", `a = \ 1`, 1, 5, "stray backslash", ErrSyntax},
		{"missing =", "\nmemory 512", 2, 8, `expected '=' after key "memory", got number 512`, ErrSyntax},
		{"key without value", "memory\n", 1, 7, `key "memory" has no value (write memory = VALUE)`, ErrSyntax},
		{"missing value", "memory =\n512", 1, 9, `missing value after "memory =" (write memory = VALUE)`, ErrSyntax},
		{"missing value at end", "memory +=", 1, 10, `missing value after "memory +="`, ErrSyntax},
		{"missing key", " = 5", 1, 2, "missing key before '='", ErrSyntax},
		{"quoted key", `"name" = "x"`, 1, 1, "keys are not quoted", ErrSyntax},
		{"number as key", "5 = 5", 1, 1, "expected a key, got number 5", ErrSyntax},
		{"invalid key", "on-crash = 'destroy'", 1, 1, `invalid key "on-crash"`, ErrSyntax},
		{"two settings on a line", `name = "a" memory = 1`, 1, 12, `expected a new line or ';' after the value of "name", got "memory"`, ErrSyntax},
		{"unquoted string", "type = pvh", 1, 8, `unquoted value pvh: strings must be quoted (type = "pvh")`, ErrSyntax},
		{"unquoted path", "kernel = /boot/vmlinuz", 1, 10, `unquoted value /boot/vmlinuz`, ErrSyntax},
		{"unquoted list item", "disk = [ 'a', b ]", 1, 15, `unquoted value b: strings must be quoted ("b")`, ErrSyntax},
		{"negative number", "memory = -5", 1, 10, "negative number -5", ErrSyntax},
		{"number with unit", "memory = 512M", 1, 10, `invalid number 512M`, ErrSyntax},
		{"float", "vcpus = 1.5", 1, 9, `invalid number 1.5`, ErrSyntax},
		{"bad octal", "memory = 0512\nvcpus = 09", 2, 9, `invalid number 09: a leading 0 means octal in xl.cfg (write 9)`, ErrSyntax},
		{"bare 0x", "a = 0x", 1, 5, `invalid number 0x`, ErrSyntax},
		{"number too large", "a = 9223372036854775808", 1, 5, "too large", ErrSyntax},
		{"hex too large", "a = 0x10000000000000000", 1, 5, "too large", ErrSyntax},
		{"nested list", "vnuma = [ [ 'pnode=0' ] ]", 1, 11, "nested list", ErrSyntax},
		{"unterminated list", "disk = [ 'a',\n 'b'\n", 1, 8, "unterminated list (add the closing ])", ErrSyntax},
		{"unterminated empty list", "disk = [", 1, 8, "unterminated list", ErrSyntax},
		{"missing comma", "disk = [ 'a' 'b' ]", 1, 14, `expected ',' or ']' after a list item, got string "b"`, ErrSyntax},
		{"double comma", "disk = [ 'a',, 'b' ]", 1, 14, "empty list item", ErrSyntax},
		{"leading comma", "disk = [ , 'a' ]", 1, 10, "empty list item", ErrSyntax},
		{"semicolon in list", "disk = [ 'a'; ]", 1, 13, "expected ',' or ']'", ErrSyntax},
		{"append list to string", "extra = 'a'\n\nextra += ['b']", 3, 10, `cannot append a list to "extra", which holds a string (set at line 1)`, ErrSyntax},
		{"append string to list", "disk = ['a']; disk += 'b'", 1, 23, `cannot append a string to "disk", which holds a list`, ErrSyntax},
		{"string too long", "a = '" + strings.Repeat("x", MaxStringLen+1) + "'", 1, 5, "string longer than 65536 bytes", ErrLimit},
		{"escaped string too long", "\n\na = \"" + strings.Repeat("\\x41", MaxStringLen+1) + "\"", 3, 5, "string longer than 65536 bytes", ErrLimit},
		{"string too long after +=", "a = '" + strings.Repeat("x", MaxStringLen) + "'\na += 'y'", 2, 6, `"a" is longer than 65536 bytes after +=`, ErrLimit},
		{"list too long", "a = [" + strings.Repeat("1,", MaxListLen+1) + "]", 1, 5, "list has more than 4096 items", ErrLimit},
		{"list too long after +=", "a = [" + strings.Repeat("1,", MaxListLen) + "]\na += [1]", 2, 6, `"a" has more than 4096 list items after +=`, ErrLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("bad.cfg", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse succeeded: %v", f.Settings)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v is not a *SyntaxError", err, err)
			}
			if se.File != "bad.cfg" || se.Line != tt.line || se.Col != tt.col {
				t.Errorf("position %s:%d:%d, want bad.cfg:%d:%d (%v)", se.File, se.Line, se.Col, tt.line, tt.col, err)
			}
			if !strings.Contains(se.Msg, tt.msg) {
				t.Errorf("message %q does not contain %q", se.Msg, tt.msg)
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("error %v is not %v", err, tt.err)
			}
			if len(se.Msg) > 300 {
				t.Errorf("message is %d bytes: echoed input should be truncated", len(se.Msg))
			}
		})
	}
}

func TestFileTooLarge(t *testing.T) {
	src := []byte(strings.Repeat("# padding\n", MaxFileSize/10+1))
	_, err := Parse("big.cfg", src)
	var se *SyntaxError
	if !errors.As(err, &se) || !errors.Is(err, ErrLimit) || se.Line != 0 {
		t.Fatalf("got %v, want a whole-file ErrLimit", err)
	}
	if want := "big.cfg: file is 1048580 bytes, more than the 1048576 byte (1 MiB) limit"; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
	if _, err := Parse("ok.cfg", src[:MaxFileSize]); err != nil {
		t.Errorf("a file of exactly MaxFileSize bytes: %v", err)
	}
}

func TestSyntaxErrorFormat(t *testing.T) {
	_, err := Parse("hello.cfg", []byte("type = \"pvh\"\nname = \"hello\"\nkernel = \"vmlinuz\n"))
	if want := `hello.cfg:3:10: unterminated string (add the closing ")`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestLookup(t *testing.T) {
	src := `
memory = 256
memory = 512
extra = "console=hvc0"
extra += " quiet"
disk = [ 'a' ]
disk += [ 'b', 'c' ]
cmdline = "x"
cmdline = "y"
cmdline += "z"
n = 1
n += 2
only += "a"
`
	f, err := Parse("l.cfg", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key  string
		want Value
		line int
		op   Op
	}{
		{"memory", num("512", 512), 3, OpSet},
		{"extra", str("console=hvc0 quiet"), 5, OpAppend},
		{"disk", list(str("a"), str("b"), str("c")), 7, OpAppend},
		{"cmdline", str("yz"), 10, OpAppend},
		{"n", str("12"), 12, OpAppend}, // xl appends numbers as text
		{"only", str("a"), 13, OpAppend},
	}
	for _, tt := range tests {
		s, ok := f.Lookup(tt.key)
		if !ok {
			t.Errorf("Lookup(%q): not found", tt.key)
			continue
		}
		if got := stripValue(s.Value); !reflect.DeepEqual(got, tt.want) || s.Line != tt.line || s.Op != tt.op || s.Key != tt.key {
			t.Errorf("Lookup(%q) = %+v, want %+v at line %d op %v", tt.key, s, tt.want, tt.line, tt.op)
		}
	}
	if _, ok := f.Lookup("vcpus"); ok {
		t.Error("Lookup of an absent key succeeded")
	}
	// Merging must not write into the file's own lists.
	if s, _ := f.Lookup("disk"); len(f.Settings[4].Value.List) != 1 || len(s.Value.List) != 3 {
		t.Error("Lookup changed the parse tree")
	}
}

func TestFormat(t *testing.T) {
	src := "# comment\nname='vm'   # trailing\nmemory = 0x200; vcpus=2\n" +
		"disk = [ 'a',\n  'b', ]\nempty = [ ]\nextra += \"tab\\there \\\"q\\\" \\\\ \\x01\\xff é\"\n"
	f, err := Parse("f.cfg", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := `name = "vm"
memory = 0x200
vcpus = 2
disk = [ "a", "b" ]
empty = []
extra += "tab\there \"q\" \\ \x01\xff é"
`
	if got := f.String(); got != want {
		t.Errorf("String:\n%s\nwant:\n%s", got, want)
	}
	g, err := Parse("g.cfg", []byte(f.String()))
	if err != nil {
		t.Fatalf("reparse: %v", err)
	}
	if !reflect.DeepEqual(strip(f.Settings), strip(g.Settings)) {
		t.Errorf("reparse differs:\n%#v\n%#v", f.Settings, g.Settings)
	}
	if got := (Value{Kind: Number, Num: 7}).String(); got != "7" {
		t.Errorf("number without text: %q", got)
	}
	if got := (Value{Kind: Number, Str: "0x10", Num: 17}).String(); got != "17" {
		t.Errorf("number whose text disagrees: %q", got)
	}
}
