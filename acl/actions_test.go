package acl

import (
	"slices"
	"testing"
)

// Scopes share the slices of actionLists: an append to one must copy, and
// every list must be what parseActions used to build (sorted, no repeats).
func TestSharedActionListsAreSortedAndCopiedOnAppend(t *testing.T) {
	for b, list := range actionLists {
		if cap(list) != len(list) {
			t.Errorf("actionLists[%d] = %q has spare capacity %d", b, list, cap(list)-len(list))
		}
		if !slices.IsSorted(list) || len(slices.Compact(slices.Clone(list))) != len(list) {
			t.Errorf("actionLists[%d] = %q is not sorted and unique", b, list)
		}
	}
	got, err := parseActions("push,pull,push")
	if err != nil || !slices.Equal(got, []string{"pull", "push"}) {
		t.Fatalf("parseActions = %q, %v", got, err)
	}
	grown := append(got, "x")
	if &grown[0] == &got[0] {
		t.Fatal("append to a shared action list wrote into it")
	}
	for _, bad := range []string{"pull,", ",pull", "pull,,push", "PULL", "pull push"} {
		if _, err := parseActions(bad); err == nil {
			t.Errorf("parseActions(%q) accepted", bad)
		}
	}
}
