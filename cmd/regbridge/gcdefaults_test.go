package main

import (
	"errors"
	"io/fs"
	"testing"
)

func TestTheCollectorDefaultsGiveWayToTheOperatorsEnvironment(t *testing.T) {
	noCgroup := func(string) ([]byte, error) { return nil, fs.ErrNotExist }
	capped := func(v string) func(string) ([]byte, error) {
		return func(p string) ([]byte, error) {
			if p != cgroupMemoryMax {
				return nil, errors.New("unexpected file " + p)
			}
			return []byte(v), nil
		}
	}
	cases := []struct {
		name string
		env  map[string]string
		read func(string) ([]byte, error)
		want gcSettings
	}{
		{"nothing set, no cgroup", nil, noCgroup, gcSettings{GOGC: defaultGOGC, HeapFloor: defaultHeapFloor}},
		{"nothing set, a 1 GiB cap", nil, capped("1073741824\n"), gcSettings{GOGC: defaultGOGC, HeapFloor: defaultHeapFloor, MemoryLimit: 966367641}},
		{"nothing set, an unlimited cgroup", nil, capped("max\n"), gcSettings{GOGC: defaultGOGC, HeapFloor: defaultHeapFloor}},
		{"GOGC set", map[string]string{"GOGC": "100"}, noCgroup, gcSettings{GOGC: -1}},
		{"GOGC off", map[string]string{"GOGC": "off"}, capped("1073741824"), gcSettings{GOGC: -1, MemoryLimit: 966367641}},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "512MiB"}, capped("1073741824"), gcSettings{GOGC: defaultGOGC, HeapFloor: defaultHeapFloor}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := chooseGC(tc.env, tc.read); got != tc.want {
				t.Errorf("chooseGC = %+v, want %+v", got, tc.want)
			}
		})
	}
}
