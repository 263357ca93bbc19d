package mediatest

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

func TestNetstring(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{in: "5:hello,", want: []string{"hello"}},
		{in: "0:,3:abc,", want: []string{"", "abc"}},
		{in: `50:{"response":true,"ok":true,"data":"","token":"t1"},`, want: []string{`{"response":true,"ok":true,"data":"","token":"t1"}`}},
		{in: "5:hello", wantErr: true},
		{in: "5:hello;", wantErr: true},
		{in: "05:hello,", wantErr: true},
		{in: "-1:,", wantErr: true},
		{in: "x:,", wantErr: true},
		{in: "99999999:", wantErr: true},
		{in: strings.Repeat("1", 5000), wantErr: true},
	}
	for _, tt := range tests {
		name := tt.in
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			r := bufio.NewReader(strings.NewReader(tt.in))
			var got []string
			var err error
			for len(got) < len(tt.want) || tt.wantErr {
				var b []byte
				if b, err = readNetstring(r); err != nil {
					break
				}
				got = append(got, string(b))
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzNetstring: a frame that parses re-encodes to exactly the bytes it
// was read from.
func FuzzNetstring(f *testing.F) {
	for _, s := range []string{"5:hello,", "0:,", "3:a,b,", "12:", "1:x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bufio.NewReader(bytes.NewReader(b))
		payload, err := readNetstring(r)
		if err != nil {
			return
		}
		enc := appendNetstring(nil, payload)
		if !bytes.HasPrefix(b, enc) {
			t.Fatalf("re-encoded %q is not a prefix of %q", enc, b)
		}
	})
}
