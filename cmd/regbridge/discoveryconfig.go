package main

import "strings"

// discoveryProblems checks the discovery block: it names configured
// services only, and the document needs public_url for its token endpoint.
func (c *Config) discoveryProblems() []string {
	if len(c.Discovery.Services) == 0 {
		return nil
	}
	var p []string
	if c.PublicURL == "" {
		p = append(p, c.at("discovery", "discovery needs public_url: the document names the token endpoint clients are challenged with"))
	}
	names := make([]string, len(c.Services))
	for i, s := range c.Services {
		names[i] = s.Name
	}
	if err := c.Discovery.Validate(names); err != nil {
		for _, e := range strings.Split(err.Error(), "\n") {
			p = append(p, c.at("discovery", "discovery.%s", e))
		}
	}
	return p
}
