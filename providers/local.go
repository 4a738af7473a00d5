package providers

import "fmt"

// ErrUnknownAccount is the ErrInvalidCredential of a provider with local
// accounts for a name that is not one of them. Clients and metrics see it
// as ErrInvalidCredential, like a wrong password; only the audit log and
// the operational log tell the two apart.
var ErrUnknownAccount = fmt.Errorf("%w: no such account", ErrInvalidCredential)

// FileReader is implemented by providers that read files when they are
// built (account lists, group files, secrets). Files returns their paths;
// the server watches them like the configuration and rebuilds the provider
// when one of them changes.
type FileReader interface {
	Files() []string
}

// AccountDescriber is implemented by providers that hold their accounts
// locally. AccountIdentity returns the identity a successful login as
// username yields, built by the same code as Authenticate but without a
// password check; ok is false when username is not an account. It serves
// offline explanations (`regbridge explain`), never a login.
type AccountDescriber interface {
	AccountIdentity(username string) (id Identity, ok bool)
}
