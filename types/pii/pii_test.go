package pii

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const raw = "+7 (912) 345-67-89 Иванов"

func TestValueNeverPrints(t *testing.T) {
	v := New(raw)
	type wrapper struct {
		V     Value
		Ptr   *Value
		Slice []Value
	}
	w := wrapper{V: v, Ptr: &v, Slice: []Value{v, v}}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s"} {
		outs = append(outs, fmt.Sprintf(verb, v), fmt.Sprintf(verb, w), fmt.Sprintf(verb, &v))
	}
	outs = append(outs, fmt.Sprint(v), fmt.Sprintln(v, w), v.String(), v.GoString())
	j, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(j))
	txt, _ := v.MarshalText()
	outs = append(outs, string(txt))
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		slog.New(h).Info("msg", "v", v, "w", w, slog.Any("p", &v))
	}
	outs = append(outs, buf.String())
	outs = append(outs, fmt.Errorf("wrapped: %v", v).Error(), errors.Join(fmt.Errorf("%s", v)).Error())
	for _, o := range outs {
		if strings.ContainsAny(o, "0123456789") && strings.Contains(o, "912") || strings.Contains(o, "Иванов") {
			t.Fatalf("output leaks the value: %s", o)
		}
		if strings.Contains(o, "912") || strings.Contains(o, "345") || strings.Contains(o, "67-89") {
			t.Fatalf("output holds digits of the value: %s", o)
		}
	}
}

func TestRevealAndDecode(t *testing.T) {
	var in struct{ Value Value }
	if err := json.Unmarshal([]byte(`{"Value": "`+raw+`"}`), &in); err != nil {
		t.Fatal(err)
	}
	if in.Value.Reveal() != raw || in.Value.Len() != len(raw) || in.Value.IsZero() {
		t.Fatal("decoded value does not reveal the input")
	}
	if err := json.Unmarshal([]byte(`{"Value": 79123456789}`), &in); err == nil || strings.Contains(err.Error(), "912") {
		t.Fatalf("number accepted or echoed: %v", err)
	}
}
