package main

// wrkSuite is the wrk-shaped table of docs/performance.md: the net/http
// floor, anonymous and cached-user ES256 tokens at 16 and 64 connections
// (the floor first, so every row's budget uses the floor of its own run),
// then the header form and Ed25519 on a v3 service.
func wrkSuite(o *options) []scenario {
	var list []scenario
	for _, c := range []int{16, 64} {
		list = append(list,
			scenario{Name: "net/http floor", Mix: MixAnonymous, Rules: 10, Workers: c, Floor: true},
			scenario{Name: "anonymous", Mix: MixAnonymous, Rules: 10, Workers: c},
			scenario{Name: "cached static user", Mix: MixStatic, Rules: 10, Workers: c},
		)
	}
	list = append(list,
		scenario{Name: "anonymous, kid header", Mix: MixAnonymous, Rules: 10, Workers: 16, Header: "kid"},
		scenario{Name: "anonymous, Ed25519 (v3)", Mix: MixAnonymous, Rules: 10, Workers: 16, Alg: "EdDSA"},
		scenario{Name: "cached static user, Ed25519 (v3)", Mix: MixStatic, Rules: 10, Workers: 16, Alg: "EdDSA"},
		scenario{Name: "cached static user, 10,000 rules", Mix: MixStatic, Rules: 10000, Workers: 16},
	)
	return list
}
