package authority

import "github.com/regbridge/regbridge/providers"

var _ providers.FileReader = (*Provider)(nil)

// Files returns the secret and key files the provider read when it was
// built (client_secret_file, private_key_file, dpop.nonce_secret_file).
func (p *Provider) Files() []string {
	var out []string
	for _, f := range []string{p.cfg.ClientSecretFile, p.cfg.PrivateKeyFile, p.cfg.DPoP.NonceSecretFile} {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}
