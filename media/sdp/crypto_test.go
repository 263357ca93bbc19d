package sdp

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseCrypto(t *testing.T) {
	const (
		key256 = "L1Ib46fO+cz7H34YbCncqRj6WQbJO6rzzP55v9PoVEXyEj6MuT7HhkNxcdV+kA==" // 46 bytes
		keyGCM = "vGzofgeLl0mY+v/iUy+JegdsKTmU5A5vQQ+d4A"                           // 28 bytes, unpadded
		key32  = "KLJvL/k3/KF1o2yqxi7/zF3RmcWIt0Pyh4OhRf4jchcq4RKvJkKzTR4h4Kg="     // 44 bytes
	)
	tests := []struct {
		name     string
		attr     string
		want     Crypto // Key and Salt checked by length
		sentinel error  // nil for success
		reason   string
	}{
		{name: "baresip AES_CM_128 padded", attr: "1 AES_CM_128_HMAC_SHA1_80 inline:" + key128,
			want: Crypto{Tag: 1, Suite: AES_CM_128_HMAC_SHA1_80}},
		{name: "AES_256_CM with padding", attr: "2 AES_256_CM_HMAC_SHA1_80 inline:" + key256,
			want: Crypto{Tag: 2, Suite: AES_256_CM_HMAC_SHA1_80}},
		{name: "AES_256_CM unpadded", attr: "2 AES_256_CM_HMAC_SHA1_80 inline:" + strings.TrimRight(key256, "="),
			want: Crypto{Tag: 2, Suite: AES_256_CM_HMAC_SHA1_80}},
		{name: "GCM unpadded as rtpengine sends", attr: "3 AEAD_AES_128_GCM inline:" + keyGCM,
			want: Crypto{Tag: 3, Suite: AEAD_AES_128_GCM}},
		{name: "GCM padded", attr: "3 AEAD_AES_128_GCM inline:" + keyGCM + "==",
			want: Crypto{Tag: 3, Suite: AEAD_AES_128_GCM}},
		{name: "GCM 256", attr: "4 AEAD_AES_256_GCM inline:" + key32,
			want: Crypto{Tag: 4, Suite: AEAD_AES_256_GCM}},
		{name: "lifetime power of two", attr: "1 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + "|2^31",
			want: Crypto{Tag: 1, Suite: AES_CM_128_HMAC_SHA1_80, Lifetime: 1 << 31}},
		{name: "lifetime plain", attr: "1 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + "|1048576",
			want: Crypto{Tag: 1, Suite: AES_CM_128_HMAC_SHA1_80, Lifetime: 1 << 20}},
		{name: "harmless session parameters", attr: "9 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + " KDR=0 WSH=128 FEC_ORDER=FEC_SRTP -X_VENDOR=1",
			want: Crypto{Tag: 9, Suite: AES_CM_128_HMAC_SHA1_80}},
		{name: "tabs and extra spaces", attr: "1\tAES_CM_128_HMAC_SHA1_80   inline:" + key128 + " ",
			want: Crypto{Tag: 1, Suite: AES_CM_128_HMAC_SHA1_80}},

		{name: "MKI after lifetime", attr: "1 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + "|2^20|1:4",
			want: Crypto{Tag: 1, Suite: AES_CM_128_HMAC_SHA1_80}, sentinel: ErrNotAcceptable, reason: errMKI.reason},
		{name: "MKI alone", attr: "1 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + "|1:4",
			want: Crypto{Tag: 1, Suite: AES_CM_128_HMAC_SHA1_80}, sentinel: ErrNotAcceptable, reason: errMKI.reason},
		{name: "several keys", attr: "1 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + "|2^20|1:4;inline:" + key128 + "|2^20|2:4",
			want: Crypto{Tag: 1, Suite: AES_CM_128_HMAC_SHA1_80}, sentinel: ErrNotAcceptable, reason: errMultipleKeys.reason},
		{name: "key too short", attr: "1 AES_CM_128_HMAC_SHA1_80 inline:" + keyGCM,
			want: Crypto{Tag: 1, Suite: AES_CM_128_HMAC_SHA1_80}, sentinel: ErrNotAcceptable, reason: errKeyLength.reason},
		{name: "key too long", attr: "1 AEAD_AES_128_GCM inline:" + key256,
			want: Crypto{Tag: 1, Suite: AEAD_AES_128_GCM}, sentinel: ErrNotAcceptable, reason: errKeyLength.reason},
		{name: "huge key", attr: "1 AES_CM_128_HMAC_SHA1_80 inline:" + strings.Repeat("A", 900),
			want: Crypto{Tag: 1, Suite: AES_CM_128_HMAC_SHA1_80}, sentinel: ErrNotAcceptable, reason: errKeyLength.reason},
		{name: "32-bit tag refused", attr: "8 AES_CM_128_HMAC_SHA1_32 inline:" + key128,
			want: Crypto{Tag: 8, Suite: AES_CM_128_HMAC_SHA1_32}, sentinel: ErrNotAcceptable, reason: errWeakSuite.reason},
		{name: "F8 refused", attr: "9 F8_128_HMAC_SHA1_80 inline:" + key128,
			want: Crypto{Tag: 9, Suite: F8_128_HMAC_SHA1_80}, sentinel: ErrNotAcceptable, reason: errWeakSuite.reason},
		{name: "NULL refused", attr: "11 NULL_HMAC_SHA1_80 inline:" + key128,
			want: Crypto{Tag: 11, Suite: NULL_HMAC_SHA1_80}, sentinel: ErrNotAcceptable, reason: errWeakSuite.reason},
		{name: "unknown suite", attr: "1 SEED_128_GCM_96 inline:" + key128,
			want: Crypto{Tag: 1}, sentinel: ErrNotAcceptable, reason: errUnknownSuite.reason},
		{name: "suite names are case-sensitive", attr: "1 aes_cm_128_hmac_sha1_80 inline:" + key128,
			want: Crypto{Tag: 1}, sentinel: ErrNotAcceptable, reason: errUnknownSuite.reason},
		{name: "UNENCRYPTED_SRTP", attr: "1 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + " UNENCRYPTED_SRTP",
			want: Crypto{Tag: 1, Suite: AES_CM_128_HMAC_SHA1_80}, sentinel: ErrNotAcceptable, reason: errUnencrypted.reason},
		{name: "UNENCRYPTED_SRTCP", attr: "1 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + " UNENCRYPTED_SRTCP",
			want: Crypto{Tag: 1, Suite: AES_CM_128_HMAC_SHA1_80}, sentinel: ErrNotAcceptable, reason: errUnencrypted.reason},
		{name: "UNAUTHENTICATED_SRTP", attr: "1 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + " WSH=64 UNAUTHENTICATED_SRTP",
			want: Crypto{Tag: 1, Suite: AES_CM_128_HMAC_SHA1_80}, sentinel: ErrNotAcceptable, reason: errUnencrypted.reason},
		{name: "key derivation rate", attr: "1 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + " KDR=24",
			want: Crypto{Tag: 1, Suite: AES_CM_128_HMAC_SHA1_80}, sentinel: ErrNotAcceptable, reason: errKDR.reason},
		{name: "FEC key", attr: "1 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + " FEC_KEY=inline:" + key128,
			want: Crypto{Tag: 1, Suite: AES_CM_128_HMAC_SHA1_80}, sentinel: ErrNotAcceptable, reason: errFECKey.reason},
		{name: "unknown mandatory parameter", attr: "1 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + " NEW_THING",
			want: Crypto{Tag: 1, Suite: AES_CM_128_HMAC_SHA1_80}, sentinel: ErrNotAcceptable, reason: errSessionParam.reason},
		{name: "lifetime zero", attr: "1 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + "|0",
			want: Crypto{Tag: 1, Suite: AES_CM_128_HMAC_SHA1_80}, sentinel: ErrNotAcceptable, reason: errLifetime.reason},
		{name: "lifetime beyond 2^48", attr: "1 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + "|2^64",
			want: Crypto{Tag: 1, Suite: AES_CM_128_HMAC_SHA1_80}, sentinel: ErrNotAcceptable, reason: errLifetime.reason},
		{name: "another key method", attr: "1 AES_CM_128_HMAC_SHA1_80 uri:https://kms.example/k",
			want: Crypto{Tag: 1, Suite: AES_CM_128_HMAC_SHA1_80}, sentinel: ErrNotAcceptable, reason: errKeyMethod.reason},

		{name: "empty", attr: "", sentinel: ErrMalformed},
		{name: "no key", attr: "1 AES_CM_128_HMAC_SHA1_80", sentinel: ErrMalformed},
		{name: "tag not a number", attr: "x AES_CM_128_HMAC_SHA1_80 inline:" + key128, sentinel: ErrMalformed},
		{name: "tag of ten digits", attr: "1234567890 AES_CM_128_HMAC_SHA1_80 inline:" + key128, sentinel: ErrMalformed},
		{name: "negative tag", attr: "-1 AES_CM_128_HMAC_SHA1_80 inline:" + key128, sentinel: ErrMalformed},
		{name: "not base64", attr: "1 AES_CM_128_HMAC_SHA1_80 inline:" + strings.Repeat("!", 40), sentinel: ErrMalformed,
			want: Crypto{Tag: 1, Suite: AES_CM_128_HMAC_SHA1_80}},
		{name: "lifetime not a number", attr: "1 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + "|2^x", sentinel: ErrMalformed,
			want: Crypto{Tag: 1, Suite: AES_CM_128_HMAC_SHA1_80}},
		{name: "too long", attr: "1 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + strings.Repeat(" -X", 400), sentinel: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCrypto(tt.attr)
			if tt.sentinel != nil {
				refusal(t, err, tt.sentinel, tt.reason)
				if got.Key != nil || got.Salt != nil {
					t.Errorf("refused line returned a key")
				}
			} else if err != nil {
				t.Fatalf("ParseCrypto: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(Crypto{}, "Key", "Salt")); diff != "" {
				t.Errorf("Crypto (-want +got):\n%s", diff)
			}
			if err != nil {
				return
			}
			kl, sl := got.Suite.keyLen()
			if len(got.Key) != kl || len(got.Salt) != sl {
				t.Errorf("key %d + salt %d bytes, want %d + %d", len(got.Key), len(got.Salt), kl, sl)
			}
			_, inline, _ := strings.Cut(tt.attr, "inline:")
			inline, _, _ = strings.Cut(inline, "|")
			inline, _, _ = strings.Cut(inline, " ")
			if want := mustKey(t, inline); !bytes.Equal(append(got.Key, got.Salt...), want) {
				t.Errorf("key||salt differs from the inline key")
			}
		})
	}
}

func TestSuites(t *testing.T) {
	accepted := map[Suite]bool{AES_CM_128_HMAC_SHA1_80: true, AES_256_CM_HMAC_SHA1_80: true, AEAD_AES_128_GCM: true, AEAD_AES_256_GCM: true}
	for s := AES_CM_128_HMAC_SHA1_80; s <= NULL_HMAC_SHA1_32; s++ {
		t.Run(s.String(), func(t *testing.T) {
			if got := suiteByName(s.String()); got != s {
				t.Errorf("suiteByName(%q) = %v", s.String(), got)
			}
			if s.accepted() != accepted[s] {
				t.Errorf("accepted() = %v", s.accepted())
			}
			if !s.accepted() {
				return
			}
			k, sl := s.keyLen()
			if k == 0 || sl == 0 {
				t.Errorf("accepted suite has no key length")
			}
			if pk, _ := s.Profile().KeyLen(); pk != k {
				t.Errorf("key length %d, pion says %d", k, pk)
			}
		})
	}
	for _, s := range []Suite{0, 200} {
		if s.String() != "unknown" || s.Profile() != 0 || s.accepted() {
			t.Errorf("Suite(%d) = %q, profile %v", s, s.String(), s.Profile())
		}
	}
}

// TestSecretsRedacted checks that no fmt verb or slog handler prints a key,
// whichever type carries it.
func TestSecretsRedacted(t *testing.T) {
	c, err := ParseCrypto("1 AES_CM_128_HMAC_SHA1_80 inline:" + key128)
	if err != nil {
		t.Fatal(err)
	}
	k := &Keys{Suite: c.Suite, Tag: 1, LocalKey: c.Key, LocalSalt: c.Salt, RemoteKey: c.Key, RemoteSalt: c.Salt}
	_, st, err := Offer(Policy{}, testLocal, SendRecv)
	if err != nil {
		t.Fatal(err)
	}
	m := Media{SRTP: k}
	secrets := []string{key128[:12], fmt.Sprintf("%x", c.Key[:6]), fmt.Sprint(c.Key[:3])[1:8], fmt.Sprintf("%x", st.keys[0].key[:6])}
	values := map[string]any{"Crypto": c, "*Crypto": &c, "Keys": *k, "*Keys": k, "Media": m, "*Media": &m, "OfferState": st}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			var out strings.Builder
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
				fmt.Fprintf(&out, verb+"\n", v)
			}
			slog.New(slog.NewJSONHandler(&out, nil)).Info("x", "v", v)
			slog.New(slog.NewTextHandler(&out, nil)).Info("x", "v", v)
			for _, s := range secrets {
				if strings.Contains(out.String(), s) {
					t.Errorf("output shows key material %q:\n%s", s, out.String())
				}
			}
			if !strings.Contains(out.String(), "[redacted]") {
				t.Errorf("output does not say [redacted]:\n%s", out.String())
			}
		})
	}
}

// TestTagPrintsMasked keeps a tag from the wire that looks like a phone
// number out of printed output.
func TestTagPrintsMasked(t *testing.T) {
	c := Crypto{Tag: 916123456, Suite: AES_CM_128_HMAC_SHA1_80}
	for _, s := range []string{c.String(), Keys{Tag: c.Tag}.String()} {
		if strings.Contains(s, "916123456") {
			t.Errorf("%q shows the tag's digits", s)
		}
	}
}

func FuzzParseCrypto(f *testing.F) {
	for _, s := range []string{
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + key128,
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + "|2^20|1:4",
		"2 AEAD_AES_128_GCM inline:vGzofgeLl0mY+v/iUy+JegdsKTmU5A5vQQ+d4A KDR=0 -X",
		"3 AES_256_CM_HMAC_SHA1_80 inline:L1Ib46fO+cz7H34YbCncqRj6WQbJO6rzzP55v9PoVEXyEj6MuT7HhkNxcdV+kA==|2^31 WSH=64",
		"1 AES_CM_128_HMAC_SHA1_80 inline:a;inline:b UNENCRYPTED_SRTP",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, attr string) {
		c, err := ParseCrypto(attr)
		if err != nil {
			if c.Key != nil {
				t.Fatalf("refused %q but returned a key", attr)
			}
			return
		}
		kl, sl := c.Suite.keyLen()
		if !c.Suite.accepted() || len(c.Key) != kl || len(c.Salt) != sl || c.Lifetime > maxLifetime {
			t.Fatalf("accepted %q as %v with %d+%d key bytes", attr, c.Suite, len(c.Key), len(c.Salt))
		}
		line := appendCrypto(nil, c.Tag, c.Suite, c.Key, c.Salt)
		again, err := ParseCrypto(strings.TrimSuffix(strings.TrimPrefix(string(line), "a=crypto:"), "\r\n"))
		if err != nil || again.Tag != c.Tag || again.Suite != c.Suite || !bytes.Equal(again.Key, c.Key) || !bytes.Equal(again.Salt, c.Salt) {
			t.Fatalf("%q does not round-trip: %v", attr, err)
		}
	})
}
