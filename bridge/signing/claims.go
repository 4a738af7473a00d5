package signing

import (
	"strconv"

	"github.com/regbridge/regbridge/internal/jsonappend"
)

// appendClaims appends the JSON of c exactly as json.Marshal writes it
// (TestFramedClaimsAreTheBytesOfJSONMarshal), without reflection: the
// claims are marshalled once per token.
func appendClaims(b []byte, c *Claims) []byte {
	b = append(b, `{"iss":`...)
	b = jsonappend.String(b, c.Issuer)
	b = append(b, `,"sub":`...)
	b = jsonappend.String(b, c.Subject)
	b = append(b, `,"aud":`...)
	b = jsonappend.String(b, c.Audience)
	b = append(b, `,"exp":`...)
	b = strconv.AppendInt(b, c.Expiry, 10)
	b = append(b, `,"nbf":`...)
	b = strconv.AppendInt(b, c.NotBefore, 10)
	b = append(b, `,"iat":`...)
	b = strconv.AppendInt(b, c.IssuedAt, 10)
	b = append(b, `,"jti":`...)
	b = jsonappend.String(b, c.ID)
	b = append(b, `,"access":`...)
	if c.Access == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, e := range c.Access {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"type":`...)
			b = jsonappend.String(b, e.Type)
			b = append(b, `,"name":`...)
			b = jsonappend.String(b, e.Name)
			b = append(b, `,"actions":`...)
			b = appendStrings(b, e.Actions)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendStrings(b []byte, list []string) []byte {
	if list == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonappend.String(b, s)
	}
	return append(b, ']')
}
