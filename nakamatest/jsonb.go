package nakamatest

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The failures of pgJSONB: a \u0000 escape and a broken surrogate pair
// have the texts of their own (CreateTournament reports them), anything
// else the database refuses is errPGJSONB.
var (
	errPGJSONB            = errors.New("nakamatest: value not storable as jsonb")
	errJSONBNulEscape     = errors.New("unsupported Unicode escape sequence")
	errJSONBLoneSurrogate = errors.New("unicode low surrogate must follow a high surrogate")
)

// pgJSONB returns a JSON document as the database gives back a jsonb
// value (storage objects, notification contents, chat messages, and the
// metadata of records, friends and groups are stored so): object keys
// sorted by length and then bytes, the last of duplicate keys kept, ", "
// and ": " separators, strings re-escaped, and numbers in the database's
// decimal form (1e2 is 100, 1.50 stays 1.50). It fails where the database
// does: \u0000, broken surrogate pairs, invalid UTF-8, and numbers beyond
// the numeric type's range. The input must be valid JSON.
func pgJSONB(doc string) (string, error) {
	p := &pgJSONBParser{in: doc}
	var out strings.Builder
	p.ws()
	if err := p.value(&out); err != nil {
		return "", err
	}
	p.ws()
	if p.i != len(p.in) {
		return "", errPGJSONB
	}
	return out.String(), nil
}

type pgJSONBParser struct {
	in string
	i  int
}

func (p *pgJSONBParser) ws() {
	for p.i < len(p.in) && strings.IndexByte(" \t\r\n", p.in[p.i]) >= 0 {
		p.i++
	}
}

func (p *pgJSONBParser) value(out *strings.Builder) error {
	if p.i >= len(p.in) {
		return errPGJSONB
	}
	switch c := p.in[p.i]; {
	case c == '{':
		return p.object(out)
	case c == '[':
		return p.array(out)
	case c == '"':
		s, err := p.str()
		if err != nil {
			return err
		}
		writePGJSONString(out, s)
		return nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number(out)
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if strings.HasPrefix(p.in[p.i:], lit) {
				p.i += len(lit)
				out.WriteString(lit)
				return nil
			}
		}
		return errPGJSONB
	}
}

func (p *pgJSONBParser) object(out *strings.Builder) error {
	p.i++ // {
	type member struct{ key, value string }
	var members []member
	index := map[string]int{}
	p.ws()
	if p.i < len(p.in) && p.in[p.i] == '}' {
		p.i++
		out.WriteString("{}")
		return nil
	}
	for {
		p.ws()
		if p.i >= len(p.in) || p.in[p.i] != '"' {
			return errPGJSONB
		}
		key, err := p.str()
		if err != nil {
			return err
		}
		p.ws()
		if p.i >= len(p.in) || p.in[p.i] != ':' {
			return errPGJSONB
		}
		p.i++
		p.ws()
		var v strings.Builder
		if err := p.value(&v); err != nil {
			return err
		}
		if j, dup := index[key]; dup {
			members[j].value = v.String()
		} else {
			index[key] = len(members)
			members = append(members, member{key, v.String()})
		}
		more, err := p.more('}')
		if err != nil {
			return err
		}
		if !more {
			break
		}
	}
	slices.SortFunc(members, func(a, b member) int {
		if len(a.key) != len(b.key) {
			return len(a.key) - len(b.key)
		}
		return strings.Compare(a.key, b.key)
	})
	out.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			out.WriteString(", ")
		}
		writePGJSONString(out, m.key)
		out.WriteString(": ")
		out.WriteString(m.value)
	}
	out.WriteByte('}')
	return nil
}

func (p *pgJSONBParser) array(out *strings.Builder) error {
	p.i++ // [
	p.ws()
	if p.i < len(p.in) && p.in[p.i] == ']' {
		p.i++
		out.WriteString("[]")
		return nil
	}
	out.WriteByte('[')
	for n := 0; ; n++ {
		if n > 0 {
			out.WriteString(", ")
		}
		p.ws()
		if err := p.value(out); err != nil {
			return err
		}
		more, err := p.more(']')
		if err != nil {
			return err
		}
		if !more {
			out.WriteByte(']')
			return nil
		}
	}
}

// more reads what follows a member of an object or an element of an
// array: a comma, when more follow, or the closing byte.
func (p *pgJSONBParser) more(closing byte) (bool, error) {
	p.ws()
	if p.i >= len(p.in) {
		return false, errPGJSONB
	}
	switch p.in[p.i] {
	case ',':
		p.i++
		return true, nil
	case closing:
		p.i++
		return false, nil
	}
	return false, errPGJSONB
}

// str decodes a string token, refusing what the database refuses.
func (p *pgJSONBParser) str() (string, error) {
	p.i++ // opening quote
	var b strings.Builder
	for {
		if p.i >= len(p.in) {
			return "", errPGJSONB
		}
		c := p.in[p.i]
		switch {
		case c == '"':
			p.i++
			return b.String(), nil
		case c == '\\':
			if p.i+1 >= len(p.in) {
				return "", errPGJSONB
			}
			e := p.in[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", errPGJSONB
				}
				if r == 0 {
					return "", errJSONBNulEscape
				}
				if utf16.IsSurrogate(r) {
					if r >= 0xDC00 || !strings.HasPrefix(p.in[p.i:], `\u`) {
						return "", errJSONBLoneSurrogate
					}
					p.i += 2
					lo, ok := p.hex4()
					if !ok {
						return "", errPGJSONB
					}
					if lo < 0xDC00 || lo > 0xDFFF {
						return "", errJSONBLoneSurrogate
					}
					r = utf16.DecodeRune(r, lo)
				}
				b.WriteRune(r)
			default:
				return "", errPGJSONB
			}
		default:
			r, size := utf8.DecodeRuneInString(p.in[p.i:])
			if r == utf8.RuneError && size <= 1 {
				return "", errPGJSONB
			}
			b.WriteString(p.in[p.i : p.i+size])
			p.i += size
		}
	}
}

func (p *pgJSONBParser) hex4() (rune, bool) {
	if p.i+4 > len(p.in) {
		return 0, false
	}
	n, err := strconv.ParseUint(p.in[p.i:p.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(n), true
}

// writePGJSONString writes s quoted as the database's JSON output does: only
// quotes, backslashes and control characters are escaped.
func writePGJSONString(out *strings.Builder, s string) {
	out.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\b':
			out.WriteString(`\b`)
		case '\f':
			out.WriteString(`\f`)
		case '\n':
			out.WriteString(`\n`)
		case '\r':
			out.WriteString(`\r`)
		case '\t':
			out.WriteString(`\t`)
		case '"':
			out.WriteString(`\"`)
		case '\\':
			out.WriteString(`\\`)
		default:
			if c < ' ' {
				out.WriteString(`\u00`)
				out.WriteByte("0123456789abcdef"[c>>4])
				out.WriteByte("0123456789abcdef"[c&0xf])
			} else {
				out.WriteByte(c)
			}
		}
	}
	out.WriteByte('"')
}

// number writes a JSON number as the database's numeric type prints it:
// the digits written, with the exponent folded into the position of the
// decimal point and the scale it leaves (never below zero).
func (p *pgJSONBParser) number(out *strings.Builder) error {
	neg := false
	if p.in[p.i] == '-' {
		neg = true
		p.i++
	}
	digits := func() string {
		j := p.i
		for p.i < len(p.in) && p.in[p.i] >= '0' && p.in[p.i] <= '9' {
			p.i++
		}
		return p.in[j:p.i]
	}
	intPart := digits()
	if intPart == "" {
		return errPGJSONB
	}
	var frac string
	if p.i < len(p.in) && p.in[p.i] == '.' {
		p.i++
		if frac = digits(); frac == "" {
			return errPGJSONB
		}
	}
	exp := 0
	if p.i < len(p.in) && (p.in[p.i] == 'e' || p.in[p.i] == 'E') {
		p.i++
		j := p.i
		if p.i < len(p.in) && (p.in[p.i] == '+' || p.in[p.i] == '-') {
			p.i++
		}
		if digits() == "" {
			return errPGJSONB
		}
		e, err := strconv.ParseInt(p.in[j:p.i], 10, 32)
		if err != nil {
			return errPGJSONB
		}
		exp = int(e)
	}
	all := intPart + frac
	point := len(intPart) + exp // where the decimal point falls in all
	scale := max(0, len(frac)-exp)
	// The numeric type holds at most 131072 digits before the point and
	// 16383 after it.
	if scale > 16383 {
		return errPGJSONB
	}
	zero := strings.Trim(all, "0") == ""
	if !zero && point-strings.IndexFunc(all, func(r rune) bool { return r != '0' }) > 131072 {
		return errPGJSONB
	}
	var whole, fraction string
	switch {
	case zero:
		whole, fraction = "0", strings.Repeat("0", scale)
	case point >= len(all):
		whole = all + strings.Repeat("0", point-len(all))
	case point <= 0:
		whole, fraction = "0", strings.Repeat("0", -point)+all
	default:
		whole, fraction = all[:point], all[point:]
	}
	if whole = strings.TrimLeft(whole, "0"); whole == "" {
		whole = "0"
	}
	if neg && !zero {
		out.WriteByte('-')
	}
	out.WriteString(whole)
	if scale > 0 {
		out.WriteByte('.')
		out.WriteString(fraction)
	}
	return nil
}

// jsonbOf is pgJSONB for a value encoding/json decoded (numbers as
// json.Number, to keep their text).
func jsonbOf(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return pgJSONB(string(b))
}
