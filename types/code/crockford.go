package code

// Crockford's base32 alphabet (https://www.crockford.com/base32.html) and
// its check alphabet: the 32 symbols plus *~$=U for the values 32–36.
const (
	alphabet      = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	checkAlphabet = alphabet + "*~$=U"
)

// decodeMap maps an input byte to its 5-bit value, or 0xff. It applies
// Crockford's reading rules: lower case as upper, I and L as 1, O as 0.
var decodeMap = func() [256]byte {
	var m [256]byte
	for i := range m {
		m[i] = 0xff
	}
	for i := 0; i < len(alphabet); i++ {
		m[alphabet[i]] = byte(i)
		m[alphabet[i]|0x20] = byte(i) // lower case; digits are unaffected
	}
	for _, c := range "IiLl" {
		m[c] = 1
	}
	m['O'], m['o'] = 0, 0
	return m
}()

// encode writes the 128-bit big-endian value id as 26 symbols; the first
// symbol carries two zero padding bits and the top three bits of the value,
// so it is always 0–7.
func encode(dst []byte, id [16]byte) {
	var bits uint64 // pending bits, right-aligned
	n := 2          // pad two zero bits in front: 130 = 26 × 5
	for _, b := range id {
		bits = bits<<8 | uint64(b)
		n += 8
		for n >= 5 {
			n -= 5
			dst[0] = alphabet[(bits>>uint(n))&31]
			dst = dst[1:]
		}
	}
}

// decode is the inverse of encode; it fails on a bad symbol or when the two
// padding bits are not zero.
func decode(id *[16]byte, src string) bool {
	var bits uint64
	n := 0
	out := 0
	for i := 0; i < len(src); i++ {
		v := decodeMap[src[i]]
		if v == 0xff {
			return false
		}
		if i == 0 {
			if v > 7 {
				return false
			}
			bits, n = uint64(v), 3
			continue
		}
		bits = bits<<5 | uint64(v)
		n += 5
		if n >= 8 {
			n -= 8
			id[out] = byte(bits >> uint(n))
			out++
		}
	}
	return out == 16 && n == 0
}

// mod37 returns the big-endian 128-bit value modulo 37.
func mod37(id [16]byte) int {
	r := 0
	for _, b := range id {
		r = (r*256 + int(b)) % 37
	}
	return r
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 0x20
	}
	return c
}
