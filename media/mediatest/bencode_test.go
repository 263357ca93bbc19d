package mediatest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBencode(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"string", "pong", "4:pong"},
		{"empty string", "", "0:"},
		{"int", 42, "i42e"},
		{"negative", int64(-7), "i-7e"},
		{"list", []any{"a", 1}, "l1:ai1ee"},
		{"strings", []string{"no-AEAD_AES_256_GCM"}, "l19:no-AEAD_AES_256_GCMe"},
		{"dict sorted", map[string]any{"sdp": "v=0", "command": "offer"}, "d7:command5:offer3:sdp3:v=0e"},
		{"nested", map[string]any{"flags": []any{map[string]any{}}}, "d5:flagsldeee"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := bencode(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("bencode = %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := bencode(map[string]any{"x": 1.5}); err == nil {
		t.Error("bencode(float) succeeded")
	}
}

func TestBdecode(t *testing.T) {
	tests := []struct {
		in      string
		want    any
		wantErr bool
	}{
		{in: "d6:result4:ponge", want: map[string]any{"result": "pong"}},
		{in: "li1ei-2e3:abce", want: []any{int64(1), int64(-2), "abc"}},
		{in: "d3:sdp0:e", want: map[string]any{"sdp": ""}},
		{in: "", wantErr: true},
		{in: "i01e", wantErr: true},
		{in: "i-0e", wantErr: true},
		{in: "ie", wantErr: true},
		{in: "5:abc", wantErr: true},
		{in: "03:abc", wantErr: true},
		{in: "d1:a", wantErr: true},
		{in: "di1ei2ee", wantErr: true},
		{in: "d1:ai1e1:ai2ee", wantErr: true},
		{in: "l", wantErr: true},
		{in: "4:pongx", wantErr: true},
		{in: "x", wantErr: true},
		{in: strings.Repeat("l", 40) + strings.Repeat("e", 40), wantErr: true}, // too deep
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := bdecode([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("bdecode (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzBencode: whatever decodes re-encodes canonically and decodes to the
// same value; nothing panics.
func FuzzBencode(f *testing.F) {
	for _, s := range []string{"d6:result4:ponge", "li1ei-2e3:abce", "d3:sdpl0:ee", "i0e", "d1:ad1:bleee"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := bdecode(b)
		if err != nil {
			return
		}
		enc, err := bencode(v)
		if err != nil {
			t.Fatalf("re-encode %#v: %v", v, err)
		}
		v2, err := bdecode(enc)
		if err != nil {
			t.Fatalf("decode re-encoded %q: %v", enc, err)
		}
		if diff := cmp.Diff(v, v2); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}
