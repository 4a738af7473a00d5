package sourcehut

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers/sourcehut/srhttest"
)

// Reference vectors (shared/reference/sourcehut.md §8), minted with
// srhttest.TestPrivateKey.
const (
	vecT1      = "AACUNXcAAAAAIHJlZ2lzdHJ5LmV4YW1wbGUuY29tL1JFR0lTVFJZOlJXAARqZG9lM6lBlrnbPZ71dhdQa8JjDFXF8fhm8GdGhObBVbVNsFQ"
	vecT1Prime = "AACUNXcAAAAAIHJlZ2lzdHJ5LmV4YW1wbGUuY29tL1JFR0lTVFJZOlJXAARqZG9lM6lBlrnbPZ71dhdQa8JjDFXF8fhm8GdGhObBVbVNsFR"
	vecT2      = "AACUNXcAAAAAAAAEamRvZa6t5eJPL6k7gA0tqUYSkVV0Nw42nbuSk31syPOa3sRn"
	vecT3      = "AADKmjsAAAAAIHJlZ2lzdHJ5LmV4YW1wbGUuY29tL1JFR0lTVFJZOlJXAARqZG9l/jFXWYDl/wqF7Pvsgy236o6FHG6rCCnYXFtx1RlTaJw"
	vecT6      = "AACUNXcAAAAAHW90aGVyLmV4YW1wbGUub3JnL1JFR0lTVFJZOlJXAARqZG9lxzSaC0mcdjS66GqmIyrWUQtAtoZdSAwaHcVZC1LJzdc"
	vecX1      = "AACUNXcAAAAAACQzYTljNWIxZS03ZjJkLTRjOGEtOWI2ZS0xZDJmM2E0YjVjNmQEamRvZTKbvkhQepxsXgBolw3hlSJ2sQHf01v0alxfLAk8iTEL"
	vecX2      = "AACUNXcAAAAAHXJlZ2lzdHJ5LmV4YW1wbGUuY29tL1JFR0lTVFJZAARqZG9lVHVLt4YLRmSyG8/Nw6Ljupqb90H/5EKE4V/c+M2YhpE"
	vecX3      = "AQCUNXcAAAAAIHJlZ2lzdHJ5LmV4YW1wbGUuY29tL1JFR0lTVFJZOlJXAARqZG9lDuaOUMm46HRJcyUdra49RWaOMGtIEQ4k1q0ZG7uoQA0"
	vecX4      = "AACUNXcAAAAAIHJlZ2lzdHJ5LmV4YW1wbGUuY29tL1JFR0lTVFJZOlJXAARqZG9lALoQUt69j3lVyOXOzsUGtyKP838n1Gz3xfmkMydCoGod"
	vecX5      = "AACUNXcAAAAANm1ldGEuc3IuaHQvUFJPRklMRTpSTyByZWdpc3RyeS5leGFtcGxlLmNvbS9SRUdJU1RSWTpSVwAEamRvZaKz2kt8ZyrR51LNxsi2nCZ+M59A27l2HPpdp+KheOSm"
	vecX6      = "AACUNXcAAAAAIHJlZ2lzdHJ5LmV4YW1wbGUuY29tL1JFR0lTVFJZOlJXJDNhOWM1YjFlLTdmMmQtNGM4YS05YjZlLTFkMmYzYTRiNWM2ZARqZG9lmreToR/0CJG/ciUTSCwO1mo0E1ywo/4BWjg7IGktrv8"
	vecX7      = "AACUNXcAAAAAIHJlZ2lzdHJ5LmV4YW1wbGUuY29tL1JFR0lTVFJZOlJPAARqZG9lUNFIH+SGLgFe/q3DNNZZr0OSTsIBKG22BgVdd3PsJdo"
	vecX8      = "AACUNXcAAAAAIHJlZ2lzdHJ5LmV4YW1wbGUuY29tL1JFR0lTVFJZOlJXAARqZG9lM6lBlrnbPZ71dhdQa8JjDFXF8fhm8GdGhObBVbVNsFU"

	clientC = "3a9c5b1e-7f2d-4c8a-9b6e-1d2f3a4b5c6d"
)

func TestReferenceVectorsDecodeToTheDocumentedFields(t *testing.T) {
	exp2e9 := time.Unix(2000000000, 0).UTC()
	tests := []struct {
		name string
		tok  string
		want Token
	}{
		{"T1 is a builds token for jdoe with RW on registry.example.com", vecT1,
			Token{Expires: exp2e9, Grants: "registry.example.com/REGISTRY:RW", Username: "jdoe"}},
		{"T2 is an all-permissions personal access token", vecT2,
			Token{Expires: exp2e9, Username: "jdoe"}},
		{"T3 expired in 2001", vecT3,
			Token{Expires: time.Unix(1000000000, 0).UTC(), Grants: "registry.example.com/REGISTRY:RW", Username: "jdoe"}},
		{"T6 grants another domain", vecT6,
			Token{Expires: exp2e9, Grants: "other.example.org/REGISTRY:RW", Username: "jdoe"}},
		{"X1 is an OAuth client token with empty grants", vecX1,
			Token{Expires: exp2e9, ClientID: clientC, Username: "jdoe"}},
		{"X2 has no access part", vecX2,
			Token{Expires: exp2e9, Grants: "registry.example.com/REGISTRY", Username: "jdoe"}},
		{"X5 has two grants", vecX5,
			Token{Expires: exp2e9, Grants: "meta.sr.ht/PROFILE:RO registry.example.com/REGISTRY:RW", Username: "jdoe"}},
		{"X6 is an OAuth client token with the registry grant", vecX6,
			Token{Expires: exp2e9, Grants: "registry.example.com/REGISTRY:RW", ClientID: clientC, Username: "jdoe"}},
		{"X7 is read-only", vecX7,
			Token{Expires: exp2e9, Grants: "registry.example.com/REGISTRY:RO", Username: "jdoe"}},
		{"X8 decodes (only meta can see its bad MAC)", vecX8,
			Token{Expires: exp2e9, Grants: "registry.example.com/REGISTRY:RW", Username: "jdoe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := DecodeToken(tt.tok)
			if err != nil {
				t.Fatalf("DecodeToken: %v", err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestT1DecodesToTheDocumentedBytes(t *testing.T) {
	_, raw, err := DecodeToken(vecT1)
	if err != nil {
		t.Fatal(err)
	}
	const wantPayload = "00" + "0094357700000000" + "20" + "72656769737472792e6578616d706c652e636f6d2f52454749535452593a5257" + "00" + "04" + "6a646f65"
	const wantMAC = "33a94196b9db3d9ef57617506bc2630c55c5f1f866f0674684e6c155b54db054"
	if got := hex.EncodeToString(raw); got != wantPayload+wantMAC {
		t.Errorf("raw = %s, want %s", got, wantPayload+wantMAC)
	}
	if len(raw) != 80 {
		t.Errorf("len = %d, want 80", len(raw))
	}
}

func TestDecodeTokenRefusesWhatSourcehutNeverMints(t *testing.T) {
	m := srhttest.TestMinter()
	base := srhttest.Token{Expires: 2000000000, Grants: "registry.example.com/REGISTRY:RW", Username: "jdoe"}
	withTrailing := base
	withTrailing.Trailing = []byte{0}
	tests := []struct {
		name string
		tok  string
		want string
	}{
		{"T1 prime, a non-canonical encoding of T1 (revocation bypass), is refused", vecT1Prime, "canonical"},
		{"a generated non-canonical variant is refused", srhttest.NonCanonical(m.Mint(base)), "canonical"},
		{"X3 with version 1 is refused", vecX3, "version 1"},
		{"X4 with a trailing byte after the username is refused", vecX4, "trailing"},
		{"a minted token with trailing bytes is refused", m.Mint(withTrailing), "trailing"},
		{"padding is refused", vecT1 + "=", "outside"},
		{"a newline inside is refused (Go's decoder would skip it)", vecT1[:40] + "\n" + vecT1[40:], "outside"},
		{"URL-safe alphabet is refused", strings.NewReplacer("+", "-", "/", "_").Replace(vecX5), "outside"},
		{"32 bytes or fewer are refused", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "bytes"},
		{"a truncated payload is refused", "AACUNXcAAAAAIHJl" + strings.Repeat("A", 43), "grants"},
		{"a legacy 32-hex token is refused", "0123456789abcdef0123456789abcdef", "bytes"},
		{"a non-minimal varuint is refused", encodeRaw(append([]byte{0x80, 0x00}, payloadTail()...)), "non-minimal"},
		{"invalid UTF-8 in the username is refused", encodeRaw(append([]byte{0, 0, 0x94, 0x35, 0x77, 0, 0, 0, 0, 0, 0, 2, 0xff, 0xfe}, make([]byte, 32)...)), "UTF-8"},
		{"a string length beyond the payload is refused", encodeRaw(append([]byte{0, 0, 0x94, 0x35, 0x77, 0, 0, 0, 0, 0x7f}, make([]byte, 32)...)), "beyond"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := DecodeToken(tt.tok)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

// payloadTail is the rest of a payload after its version field, plus a MAC.
func payloadTail() []byte {
	b := []byte{0x00, 0x94, 0x35, 0x77, 0, 0, 0, 0, 0, 0, 4, 'j', 'd', 'o', 'e'}
	return append(b, make([]byte, 32)...)
}

func encodeRaw(b []byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var sb strings.Builder
	var acc, bits uint
	for _, c := range b {
		acc = acc<<8 | uint(c)
		bits += 8
		for bits >= 6 {
			bits -= 6
			sb.WriteByte(alphabet[acc>>bits&63])
		}
	}
	if bits > 0 {
		sb.WriteByte(alphabet[acc<<(6-bits)&63])
	}
	return sb.String()
}
