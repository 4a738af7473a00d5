package acl

import "github.com/regbridge/regbridge/providers"

// The index keeps a decision's cost independent of the number of rules that
// cannot apply: entries are bucketed by who they are for (anyone,
// authenticated, each provider id) and, inside a bucket, by the literal
// leading segments of their repository pattern in a trie. A request for
// "teams/a/app" visits the trie nodes "", "teams", "teams/a" and
// "teams/a/app" and only looks at entries stored there.

type trieNode struct {
	entries []*entry
	kids    map[string]*trieNode
}

type bucket struct {
	root    trieNode
	catalog []*entry
}

type index struct {
	anyone     bucket
	authed     bucket
	byProvider map[string]*bucket
}

func buildIndex(rules []*rule) *index {
	ix := &index{byProvider: map[string]*bucket{}}
	for _, r := range rules {
		var bs []*bucket
		switch {
		case r.anyone:
			bs = []*bucket{&ix.anyone}
		case r.authed:
			bs = []*bucket{&ix.authed}
		default:
			for _, pid := range r.providers {
				b := ix.byProvider[pid]
				if b == nil {
					b = &bucket{}
					ix.byProvider[pid] = b
				}
				bs = append(bs, b)
			}
		}
		for _, b := range bs {
			for _, e := range r.entries {
				b.add(e)
			}
		}
	}
	return ix
}

func (b *bucket) add(e *entry) {
	if e.catalog {
		b.catalog = append(b.catalog, e)
		return
	}
	n := &b.root
	for _, s := range e.repo.prefix {
		if n.kids == nil {
			n.kids = map[string]*trieNode{}
		}
		k := n.kids[s]
		if k == nil {
			k = &trieNode{}
			n.kids[s] = k
		}
		n = k
	}
	n.entries = append(n.entries, e)
}

// visit calls fn for every entry that may match the scope for id.
func (ix *index) visit(id *providers.Identity, catalog bool, segs []string, fn func(*entry)) {
	ix.anyone.visit(catalog, segs, fn)
	if id.Anonymous {
		return
	}
	ix.authed.visit(catalog, segs, fn)
	if b := ix.byProvider[id.Provider]; b != nil {
		b.visit(catalog, segs, fn)
	}
}

func (b *bucket) visit(catalog bool, segs []string, fn func(*entry)) {
	if catalog {
		for _, e := range b.catalog {
			fn(e)
		}
		return
	}
	n := &b.root
	for i := 0; ; i++ {
		for _, e := range n.entries {
			fn(e)
		}
		if i >= len(segs) || n.kids == nil {
			return
		}
		if n = n.kids[segs[i]]; n == nil {
			return
		}
	}
}
