package sourcehut_test

import (
	"context"
	"fmt"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/sourcehut"
	"github.com/regbridge/regbridge/providers/sourcehut/srhttest"
)

// A builds.sr.ht job token checked against a fake meta.sr.ht.
func Example() {
	meta, err := srhttest.Start(srhttest.Options{}) // user "jdoe"
	if err != nil {
		panic(err)
	}
	defer meta.Close()

	p, err := sourcehut.New("sourcehut", sourcehut.Config{
		MetaURL:        meta.URL,
		RegistryDomain: "registry.example.com",
	}, providers.Deps{})
	if err != nil {
		panic(err)
	}
	tok := meta.MintBuilds("jdoe", "registry.example.com/REGISTRY:RW", 45*time.Minute)
	id, err := p.Authenticate(context.Background(), providers.Credential{
		Scheme:   providers.SchemeBasic,
		Username: "sourcehut",
		Secret:   providers.Secret(tok),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(id.Subject, id.Grants, id.MaxActions, meta.CountToken(tok))
	// Output: sourcehut:jdoe [registry.example.com/REGISTRY:RW] [pull push] 1
}
