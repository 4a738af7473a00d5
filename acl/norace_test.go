//go:build !race

package acl

// raceEnabled is true under -race, where timings mean nothing.
const raceEnabled = false
