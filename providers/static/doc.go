// Package static authenticates local accounts: people and robot accounts
// from htpasswd files (bcrypt only), with groups from a sidecar file.
//
// Files are read when the provider is built (and again on reload); a request
// never touches the disk. Unknown users cost a bcrypt compare like known
// ones, so response time does not reveal which names exist.
package static
