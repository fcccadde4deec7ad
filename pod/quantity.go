package pod

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// maxQuantityLen keeps big-number arithmetic on hostile input cheap; real
// quantities are a handful of characters.
const maxQuantityLen = 64

// maxExponent bounds 1e<n>: 10^n is computed exactly.
const maxExponent = 64

var binarySuffixes = map[string]int64{
	"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "Pi": 1 << 50, "Ei": 1 << 60,
}

var decimalSuffixes = map[string]int{
	"m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18,
}

// ParseQuantity parses a Kubernetes quantity ("500m", "1.5", "128Mi",
// "1e3", "+.5") into its exact value.
func ParseQuantity(s string) (*big.Rat, error) {
	bad := func(why string) (*big.Rat, error) {
		return nil, fmt.Errorf("invalid quantity %q: %s", truncate(s), why)
	}
	if s == "" {
		return bad("empty")
	}
	if len(s) > maxQuantityLen {
		return bad("too long")
	}
	rest := s
	neg := false
	if rest[0] == '+' || rest[0] == '-' {
		neg = rest[0] == '-'
		rest = rest[1:]
	}
	intPart := leadingDigits(rest)
	rest = rest[len(intPart):]
	var fracPart string
	if strings.HasPrefix(rest, ".") {
		fracPart = leadingDigits(rest[1:])
		rest = rest[1+len(fracPart):]
	}
	if intPart == "" && fracPart == "" {
		return bad("want a number with an optional suffix such as 500m, 1.5, 128Mi or 1e3")
	}
	num, _ := new(big.Int).SetString(intPart+fracPart, 10)
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(fracPart))), nil)
	v := new(big.Rat).SetFrac(num, den)

	exp, ok := decimalSuffixes[rest]
	switch {
	case binarySuffixes[rest] != 0:
		v.Mul(v, new(big.Rat).SetInt64(binarySuffixes[rest]))
	case ok:
	case len(rest) > 1 && (rest[0] == 'e' || rest[0] == 'E'):
		e := rest[1:]
		eneg := e[0] == '-'
		if e[0] == '+' || e[0] == '-' {
			e = e[1:]
		}
		if e == "" || leadingDigits(e) != e {
			return bad(fmt.Sprintf("unknown suffix %q", rest))
		}
		exp, _ = strconv.Atoi(e)
		if len(e) > 2 || exp > maxExponent {
			return bad("exponent out of range")
		}
		if eneg {
			exp = -exp
		}
	default:
		return bad(fmt.Sprintf("unknown suffix %q (want m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent such as e3)", truncate(rest)))
	}
	if exp != 0 {
		p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(exp))), nil))
		if exp > 0 {
			v.Mul(v, p)
		} else {
			v.Quo(v, p)
		}
	}
	if neg {
		v.Neg(v)
	}
	return v, nil
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// CPUMillis is the CPU limit in thousandths of a CPU, rounded up as
// Kubernetes does, and whether a limit is set.
func (r ResourceList) CPUMillis() (int64, bool, error) {
	return positiveCeil(r.CPU, 1000)
}

// MemoryBytes is the memory limit in bytes, rounded up, and whether a
// limit is set.
func (r ResourceList) MemoryBytes() (int64, bool, error) {
	return positiveCeil(r.Memory, 1)
}

// SizeLimitBytes is the emptyDir size limit in bytes, rounded up, and
// whether a limit is set.
func (e EmptyDirVolumeSource) SizeLimitBytes() (int64, bool, error) {
	return positiveCeil(e.SizeLimit, 1)
}

// positiveCeil parses quantity s, scales it by unit and rounds up: a limit
// of 0.1m CPU or 0.5 bytes must not become "no limit" (0).
func positiveCeil(s string, unit int64) (int64, bool, error) {
	if s == "" {
		return 0, false, nil
	}
	v, err := ParseQuantity(s)
	if err != nil {
		return 0, true, err
	}
	if v.Sign() <= 0 {
		return 0, true, fmt.Errorf("quantity %q must be greater than zero", s)
	}
	v.Mul(v, new(big.Rat).SetInt64(unit))
	q, m := new(big.Int).DivMod(v.Num(), v.Denom(), new(big.Int))
	if m.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return 0, true, fmt.Errorf("quantity %q is too large", s)
	}
	return q.Int64(), true, nil
}
