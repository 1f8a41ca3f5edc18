package queryexpression

import "strconv"

// path is a JSON path ("$.Criteria.Conditions[0]") built lazily: the
// parser passes a chain of stack values down and turns it into a string
// only when it reports an error, so a valid query allocates no paths.
// key and at are small enough to inline, which keeps their results on the
// caller's stack.
type path struct {
	parent *path
	name   string
	index  int // -1 for a property step
}

// root is "$".
var root = path{index: -1}

// key is the path of property k of a.
func (a *path) key(k string) *path { return &path{parent: a, name: k, index: -1} }

// at is the path of element i of a.
func (a *path) at(i int) *path { return &path{parent: a, index: i} }

func (a *path) String() string {
	return string(a.append(make([]byte, 0, 64)))
}

func (a *path) append(b []byte) []byte {
	if a.parent == nil {
		return append(b, '$')
	}
	b = a.parent.append(b)
	if a.index < 0 {
		return append(append(b, '.'), a.name...)
	}
	return append(strconv.AppendInt(append(b, '['), int64(a.index), 10), ']')
}
