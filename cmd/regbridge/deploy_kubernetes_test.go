package main

import (
	"bytes"
	"os"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestTheKubernetesGracePeriodCoversTheDrainAndRequestsInFlight(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/kubernetes/regbridge.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var grace int
	var config string
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for {
		var o struct {
			Kind string
			Data map[string]string
			Spec struct {
				Template struct {
					Spec struct {
						TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
					}
				}
			}
		}
		if dec.Decode(&o) != nil {
			break
		}
		switch o.Kind {
		case "Deployment":
			grace = o.Spec.Template.Spec.TerminationGracePeriodSeconds
		case "ConfigMap":
			config = o.Data["regbridge.yaml"]
		}
	}
	cfg, err := parseConfig([]byte(config), "/etc/regbridge/regbridge.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if need := cfg.Shutdown.drain() + inFlightWait; time.Duration(grace)*time.Second <= need {
		t.Fatalf("terminationGracePeriodSeconds %d: the kubelet kills the pod before the drain and requests in flight (%s) end", grace, need)
	}
}
