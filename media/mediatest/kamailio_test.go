package mediatest

import (
	"testing"
	"time"
)

// TestKamailioRelaysSipp: sipp → stunnel → Kamailio (TLS, Record-Route)
// → stunnel → sipp's UAS. The ACK and BYE must follow the Route set.
func TestKamailioRelaysSipp(t *testing.T) {
	Require(t, "kamailio", "sipp", "stunnel4")
	pki := NewPKI(t)
	uas := StartSipp(t, SippArgs{Scenario: ScenarioUAS})
	server := StartStunnelServer(t, pki, uas.Addr)
	kam := StartKamailio(t, KamailioConfig{PKI: pki, Target: server.Addr})
	client := StartStunnelClient(t, pki, kam.Addr)

	res := RunSipp(t, SippArgs{Target: client.Addr, Calls: 20, Rate: 40, Hold: 50 * time.Millisecond})
	if res.Successful != 20 || res.Failed != 0 {
		t.Fatalf("%d successful, %d failed; errors:\n%s", res.Successful, res.Failed, res.Errors)
	}
}

// TestKamailioRelaysBaresip: a baresip call with SRTP end to end through
// Kamailio, TLS on both legs; the callee hears the caller's tone.
func TestKamailioRelaysBaresip(t *testing.T) {
	Require(t, "kamailio", "baresip")
	ctx := peerCtx(t)
	pki := NewPKI(t)
	callee := StartBaresip(t, BaresipConfig{Mode: Callee, PKI: pki})
	kam := StartKamailio(t, KamailioConfig{PKI: pki, Target: addr(callee.TLSPort)})
	caller := StartBaresip(t, BaresipConfig{PKI: pki, Prompt: toneWAV(t, 2*time.Second)})

	if err := caller.Dial(ctx, kam.URI("callee")); err != nil {
		t.Fatal(err)
	}
	if _, err := callee.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	_, heard, err := callee.Recordings()
	if err != nil {
		t.Fatal(err)
	}
	assertHeardTone(t, heard)
}
