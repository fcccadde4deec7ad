// Package expansion implements Kubernetes' $(VAR) references, as the kubelet
// expands them in a container's env values, command and args: $(NAME) is
// replaced by NAME's value when NAME is known and left as written when not,
// $$ is an escaped $, and a $( without a closing ) is left as written.
// There is no other syntax: $NAME, ${NAME} and backslashes mean nothing.
package expansion

import "strings"

// Expand replaces the references in s for which lookup knows a value.
func Expand(s string, lookup func(name string) (string, bool)) string {
	out, _ := scan(s, lookup)
	return out
}

// Unterminated reports whether s holds a $( that no ) closes. Kubernetes
// accepts it and passes it through, which is rarely what the author meant.
func Unterminated(s string) bool {
	_, u := scan(s, nil)
	return u
}

// scan is one left-to-right pass. A $ consumes the byte after it: $$ gives
// one $, $( starts a reference up to the first ), and $ with anything else
// stays as written, as does a $ ending the string.
func scan(s string, lookup func(string) (string, bool)) (string, bool) {
	if !strings.Contains(s, "$") {
		return s, false
	}
	var b strings.Builder
	unterminated := false
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				// Only "$(" is consumed: references after it still expand.
				unterminated = true
				b.WriteString("$(")
				i++
				continue
			}
			name := s[i+2 : i+2+end]
			if v, ok := find(lookup, name); ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String(), unterminated
}

func find(lookup func(string) (string, bool), name string) (string, bool) {
	if lookup == nil {
		return "", false
	}
	return lookup(name)
}
