package mediatest

import (
	"testing"
	"time"
)

// TestSippThroughStunnel proves the TLS plumbing for sipp: sipp's UAC
// talks plain TCP to an stunnel client, which speaks TLS (verified
// against the test CA) to an stunnel server in front of sipp's own UAS.
func TestSippThroughStunnel(t *testing.T) {
	Require(t, "sipp", "stunnel4")
	pki := NewPKI(t)
	uas := StartSipp(t, SippArgs{Scenario: ScenarioUAS})
	server := StartStunnelServer(t, pki, uas.Addr)
	client := StartStunnelClient(t, pki, server.Addr)

	res := RunSipp(t, SippArgs{Target: client.Addr, Calls: 20, Rate: 40, Hold: 50 * time.Millisecond})
	if res.Successful != 20 || res.Failed != 0 || res.ExitCode != 0 {
		t.Fatalf("sipp: %d successful, %d failed, exit %d; errors:\n%s", res.Successful, res.Failed, res.ExitCode, res.Errors)
	}
	if res.CallRate <= 0 {
		t.Errorf("call rate %v, want > 0", res.CallRate)
	}
}

// TestSippScenariosAgainstBaresip runs the embedded scenarios through
// stunnel against a real callee, baresip, which also shows the SRTP offer
// template is acceptable to an srtp-mand peer.
func TestSippScenariosAgainstBaresip(t *testing.T) {
	Require(t, "sipp", "stunnel4", "baresip")
	pki := NewPKI(t)
	tests := []struct {
		name   string
		callee BaresipConfig
		args   SippArgs
	}{
		// baresip answers at once; sipp hangs up.
		{"uac", BaresipConfig{}, SippArgs{Scenario: ScenarioUAC, Calls: 3, Rate: 10}},
		// baresip rings forever; sipp cancels.
		{"uac_cancel", BaresipConfig{NoAnswer: true}, SippArgs{Scenario: ScenarioUACCancel, Calls: 3, Rate: 10}},
		// baresip hangs up when its one-second prompt ends.
		{"uac_recv_bye", BaresipConfig{Prompt: "short"}, SippArgs{Scenario: ScenarioUACRecvBye, Timeout: 10 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.callee
			cfg.Mode, cfg.PKI = Callee, pki
			if cfg.Prompt == "short" {
				cfg.Prompt = toneWAV(t, 500*time.Millisecond)
			}
			callee := StartBaresip(t, cfg)
			client := StartStunnelClient(t, pki, addr(callee.TLSPort))
			args := tt.args
			args.Target, args.Service, args.SRTP = client.Addr, "callee", true
			res := RunSipp(t, args)
			want := max(args.Calls, 1)
			if res.Successful != want || res.Failed != 0 {
				t.Fatalf("%d successful, %d failed, want %d/0; errors:\n%s", res.Successful, res.Failed, want, res.Errors)
			}
		})
	}
}

// TestSippMalformed sends each malformed INVITE to baresip. baresip
// 1.0.0 refuses two of them and accepts the other two (libre reads a
// non-numeric Content-Length and a 40 kB header without complaint), so
// the test shows the scenario passing on a refusal (the ACK of the error
// included) and failing on an acceptance. The appliance must refuse all
// four.
func TestSippMalformed(t *testing.T) {
	Require(t, "sipp", "stunnel4", "baresip")
	pki := NewPKI(t)
	callee := StartBaresip(t, BaresipConfig{Mode: Callee, PKI: pki, MediaEnc: "none"})
	refusedByBaresip := map[string]bool{
		MalformedTruncatedSDP:   true,
		MalformedHostileHeaders: true,
		MalformedContentLength:  false,
		MalformedHugeHeader:     false,
	}
	for _, v := range MalformedVariants() {
		t.Run(v, func(t *testing.T) {
			client := StartStunnelClient(t, pki, addr(callee.TLSPort))
			res := RunSipp(t, SippArgs{Scenario: ScenarioUACMalformed, Malformed: v, Target: client.Addr,
				Service: "callee", Timeout: 5 * time.Second})
			if refused := res.Successful == 1 && res.Failed == 0; refused != refusedByBaresip[v] {
				t.Errorf("refused = %v, want %v: %d successful, %d failed, exit %d\n%s",
					refused, refusedByBaresip[v], res.Successful, res.Failed, res.ExitCode, res.Errors)
			}
		})
	}
}
