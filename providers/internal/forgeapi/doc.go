// Package forgeapi is the HTTP client the forge adapters (gitea, github,
// gitlab) share: requests to one configured API base URL only, the token
// sent through an x/oauth2 transport, no redirects, timeouts, capped bodies
// decoded with strictjson, Link pagination that never leaves the base URL,
// and the retry hints of rate-limit answers. Each adapter keeps only what
// its forge does differently: which endpoints it calls, how it sends a
// password, and how it reads its forge's answers.
package forgeapi
