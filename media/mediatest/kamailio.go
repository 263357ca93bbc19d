package mediatest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"text/template"
)

// kamailioModules is where Debian's kamailio package keeps its modules.
const kamailioModules = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"

// KamailioConfig configures a Kamailio TLS proxy: what a customer's SBC or
// PBX edge looks like to the appliance (Record-Route, its own Via, its
// own TLS connection).
type KamailioConfig struct {
	// PKI provides the server certificate Kamailio listens with, the CA it
	// verifies the target with, and the client certificate it presents.
	// Required.
	PKI *PKI
	// Target is where every new request is relayed, host:port, over TLS.
	// Required.
	Target string
	// RTPEngine, if set, puts the media of every call through it:
	// rtpengine_offer on the INVITE, rtpengine_answer on the 200 and
	// rtpengine_delete on BYE or failure.
	RTPEngine *RTPEngine
	// OfferFlags and AnswerFlags are rtpengine flags for those calls, in
	// Kamailio's rtpengine syntax (e.g. "RTP/SAVP SDES-no-AES_CM_128_HMAC_SHA1_80
	// ICE=remove DTLS=off"). Default "ICE=remove DTLS=off".
	OfferFlags, AnswerFlags string
}

// Kamailio is a running Kamailio 5.6 proxy listening for TLS on 127.0.0.1.
type Kamailio struct {
	Port int    // TLS listening port
	Addr string // 127.0.0.1:Port
	proc *process
}

// URI returns a SIP URI for user at the proxy, over TLS.
func (k *Kamailio) URI(user string) string {
	return "sip:" + user + "@" + k.Addr + ";transport=tls"
}

// Log returns Kamailio's output (it logs to stderr).
func (k *Kamailio) Log() string { return k.proc.Log() }

// StartKamailio writes kamailio.cfg and tls.cfg into a temp dir, checks
// them with `kamailio -c` (which also proves every module loads), starts
// Kamailio in the foreground and waits until it listens.
func StartKamailio(t testing.TB, cfg KamailioConfig) *Kamailio {
	t.Helper()
	Require(t, "kamailio")
	if cfg.PKI == nil || cfg.Target == "" {
		t.Fatalf("mediatest.StartKamailio: PKI and Target are required")
	}
	if cfg.OfferFlags == "" {
		cfg.OfferFlags = "ICE=remove DTLS=off"
	}
	if cfg.AnswerFlags == "" {
		cfg.AnswerFlags = "ICE=remove DTLS=off"
	}
	dir := t.TempDir()
	k := &Kamailio{Port: PortBlock(t, 1)}
	k.Addr = addr(k.Port)
	data := map[string]any{
		"Port": k.Port, "Target": cfg.Target, "Modules": kamailioModules, "Dir": dir,
		"PKI": cfg.PKI, "RTPEngine": "", "OfferFlags": cfg.OfferFlags, "AnswerFlags": cfg.AnswerFlags,
	}
	if cfg.RTPEngine != nil {
		data["RTPEngine"] = "udp:" + cfg.RTPEngine.NGAddr
	}
	conf := filepath.Join(dir, "kamailio.cfg")
	writeTemplate(t, conf, kamailioCfg, data)
	writeTemplate(t, filepath.Join(dir, "tls.cfg"), kamailioTLSCfg, data)

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "kamailio", "-c", "-f", conf).CombinedOutput(); err != nil {
		t.Fatalf("mediatest.StartKamailio: kamailio -c: %v\n%s", err, tail(string(out), 3000))
	}
	// -DD: stay in the foreground but fork the workers; -E: log to
	// stderr; -Y: keep the runtime dir (FIFOs, sockets) out of /run.
	k.proc = startProcess(t, "kamailio", dir, "kamailio", "-f", conf, "-DD", "-E",
		"-w", dir, "-Y", dir, "-P", filepath.Join(dir, "kamailio.pid"), "-m", "64", "-M", "8")
	k.proc.mustBeReady(t, "listening on "+k.Addr, func() bool { return listening("tcp", k.Port) })
	return k
}

func writeTemplate(t testing.TB, path, text string, data any) {
	t.Helper()
	var b bytes.Buffer
	if err := template.Must(template.New(filepath.Base(path)).Parse(text)).Execute(&b, data); err != nil {
		t.Fatalf("mediatest: %s: %v", path, err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatalf("mediatest: %v", err)
	}
}

// kamailioCfg relays every new request to the target with Record-Route,
// routes in-dialog requests by their Route set, and drops what fails
// sanity checks (malformed requests get their 400 from sanity_check).
const kamailioCfg = `#!KAMAILIO
debug=2
log_stderror=yes
children=2
tcp_children=2
enable_tls=yes
auto_aliases=no
listen=tls:127.0.0.1:{{.Port}}
mpath="{{.Modules}}"

loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "tls.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "sanity.so"
loadmodule "xlog.so"
{{- if .RTPEngine}}
loadmodule "rtpengine.so"
modparam("rtpengine", "rtpengine_sock", "{{.RTPEngine}}")
{{- end}}

modparam("tls", "config", "{{.Dir}}/tls.cfg")
modparam("rr", "enable_full_lr", 1)
modparam("rr", "append_fromtag", 1)

request_route {
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (!sanity_check()) {
		exit;
	}
	if (has_totag()) {
		if (loose_route()) {
			route(MEDIA);
			t_relay();
			exit;
		}
		if (is_method("ACK")) {
			if (t_check_trans()) {
				t_relay();
			}
			exit;
		}
		sl_send_reply("404", "Not here");
		exit;
	}
	if (is_method("CANCEL")) {
		if (t_check_trans()) {
			route(MEDIA);
			t_relay();
		}
		exit;
	}
	t_check_trans();
	if (is_method("INVITE")) {
		record_route();
		route(MEDIA);
{{- if .RTPEngine}}
		t_on_reply("REPLY");
		t_on_failure("FAILED");
{{- end}}
	}
	$du = "sip:{{.Target}};transport=tls";
	if (!t_relay()) {
		sl_reply_error();
	}
	exit;
}

route[MEDIA] {
{{- if .RTPEngine}}
	if (is_method("INVITE") && has_body("application/sdp")) {
		rtpengine_offer("{{.OfferFlags}}");
	} else if (is_method("ACK") && has_body("application/sdp")) {
		rtpengine_answer("{{.AnswerFlags}}");
	} else if (is_method("BYE|CANCEL")) {
		rtpengine_delete();
	}
{{- end}}
	return;
}

{{- if .RTPEngine}}

onreply_route[REPLY] {
	if (status =~ "(183)|(2[0-9][0-9])" && has_body("application/sdp")) {
		rtpengine_answer("{{.AnswerFlags}}");
	}
}

failure_route[FAILED] {
	rtpengine_delete();
}
{{- end}}
`

// kamailioTLSCfg: Kamailio serves the PKI's server certificate and, as a
// client, verifies the target against the CA and presents the client
// certificate (for appliances that require mutual TLS).
const kamailioTLSCfg = `[server:default]
method = TLSv1.2+
certificate = {{.PKI.ServerCert}}
private_key = {{.PKI.ServerKey}}
ca_list = {{.PKI.CACert}}
verify_certificate = no
require_certificate = no

[client:default]
method = TLSv1.2+
certificate = {{.PKI.ClientCert}}
private_key = {{.PKI.ClientKey}}
ca_list = {{.PKI.CACert}}
verify_certificate = yes
require_certificate = yes
`
