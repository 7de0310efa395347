package split

// unionFind joins article ids into connected components.
type unionFind struct {
	parent map[string]string
}

func newUnionFind() *unionFind { return &unionFind{parent: map[string]string{}} }

func (u *unionFind) find(x string) string {
	p, ok := u.parent[x]
	if !ok {
		u.parent[x] = x
		return x
	}
	if p == x {
		return x
	}
	root := u.find(p)
	u.parent[x] = root
	return root
}

func (u *unionFind) union(a, b string) {
	ra, rb := u.find(a), u.find(b)
	if ra != rb {
		if ra < rb {
			u.parent[rb] = ra
		} else {
			u.parent[ra] = rb
		}
	}
}

// components returns every component of two or more ids, keyed by its root.
func (u *unionFind) components() map[string][]string {
	out := map[string][]string{}
	for x := range u.parent {
		r := u.find(x)
		out[r] = append(out[r], x)
	}
	return out
}
