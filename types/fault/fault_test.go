package fault

import (
	"errors"
	"fmt"
	"testing"
)

func TestKindOf(t *testing.T) {
	base := errors.New("disk full")
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{"nil", nil, Other},
		{"plain", base, Other},
		{"direct", E("op", Denied, base), Denied},
		{"wrapped by fmt", fmt.Errorf("ctx: %w", E("op", NotFound, base)), NotFound},
		{"outer wins", E("outer", Unavailable, E("inner", Invalid, base)), Unavailable},
		{"unclassified outer", E("outer", Other, E("inner", Erased, nil)), Erased},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := KindOf(tt.err); got != tt.want {
				t.Fatalf("KindOf = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMessage(t *testing.T) {
	if got := E("tokenizer.Resolve", Erased, nil).Error(); got != "tokenizer.Resolve: erased" {
		t.Fatalf("got %q", got)
	}
	err := E("store.Open", Unavailable, errors.New("no such file"))
	if got := err.Error(); got != "store.Open: no such file" || !Is(err, Unavailable) {
		t.Fatalf("got %q", got)
	}
}
