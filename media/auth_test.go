package media_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"kordon/media/loadgen"
	"kordon/media/mediatest"
	"kordon/media/trunk"
)

// TestInboundRefusals: a source off the allow-list gets 403 and is logged
// without the caller's number; missing or wrong digest credentials get 401;
// the right ones are let in.
func TestInboundRefusals(t *testing.T) {
	const caller = "+79161234567"
	cases := []struct {
		name     string
		trunk    func(*trunk.Trunk)
		user     string
		password string
		want     int
	}{
		{"not on the allow-list", func(tr *trunk.Trunk) { tr.AllowFrom = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} }, "", "", 403},
		{"no credentials", withDigest, "", "", 401},
		{"wrong password", withDigest, "pbx", "not-the-password", 401},
		{"wrong user", withDigest, "intruder", "correct horse battery", 401},
		{"right credentials", withDigest, "pbx", "correct horse battery", 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{trunk: tc.trunk, gen: func(c *loadgen.Config) { c.Username, c.Password = tc.user, tc.password }})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			r := e.gen.Call(ctx, loadgen.Spec{To: "100", From: caller, DTMF: "#", DTMFAfter: 200 * time.Millisecond})
			if r.Status != tc.want {
				t.Fatalf("status = %d (%v), want %d", r.Status, r.Err, tc.want)
			}
			if tc.want == 403 && !strings.Contains(e.logs.String(), "inbound call refused") {
				t.Errorf("the refusal was not logged")
			}
			mediatest.ScanForDigits(t, "logs", e.logs.String(), caller)
		})
	}
}

func withDigest(tr *trunk.Trunk) {
	tr.Inbound = &trunk.Credentials{Username: "pbx", Password: trunk.NewSecret("correct horse battery")}
}
