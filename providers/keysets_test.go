package providers

import "testing"

func TestKeySetCacheSharesAnEntryAndPruneForgetsOnlyThoseNoBuildHeld(t *testing.T) {
	c := NewKeySetCache()
	made := 0
	create := func() any { made++; return new(int) }
	a := c.Hold("a", create)
	if b := c.Hold("a", create); b != a || made != 1 {
		t.Fatalf("second Hold made a new value (%d made)", made)
	}
	c.Hold("b", create)
	c.Prune() // both held since the start: both kept
	c.Hold("a", create)
	c.Prune() // b not held since the previous Prune: forgotten
	if made != 2 {
		t.Fatalf("%d values made, want 2", made)
	}
	if c.Hold("a", create) != a {
		t.Error("a was forgotten although held")
	}
	c.Hold("b", create)
	if made != 3 {
		t.Errorf("b was not forgotten: %d values made, want 3", made)
	}
}
