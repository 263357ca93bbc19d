package mediatest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Mode says whether a baresip UA places calls or answers them.
type Mode int

const (
	// Caller places calls (Dial) and presents the PKI's client certificate.
	Caller Mode = iota
	// Callee answers every call at once (answermode=auto) and listens for
	// TLS with the PKI's server certificate.
	Callee
)

// BaresipConfig configures one headless baresip 1.0.0 user agent: SIP over
// TLS, SDES-SRTP, G.711, RFC 4733 DTMF, a WAV file as the microphone and
// every call recorded both ways.
type BaresipConfig struct {
	// Mode is Caller (the default) or Callee.
	Mode Mode
	// PKI is the trust anchor and the certificates. Required.
	PKI *PKI
	// User is the account's user part, the caller ID of its calls.
	// Default "caller" or "callee".
	User string
	// DisplayName goes into From when set.
	DisplayName string
	// MediaEnc is baresip's mediaenc: "srtp-mand" (the default: RTP/SAVP,
	// SRTP or no call), "srtp" (RTP/AVP offer with a=crypto, SRTP when the
	// peer agrees) or "none" (plain RTP).
	MediaEnc string
	// AuthUser and AuthPass answer digest challenges.
	AuthUser, AuthPass string
	// Codecs is the account's audio_codecs. Default "PCMU".
	Codecs string
	// Prompt is a WAV file (8 kHz, 16-bit, mono) played as the microphone.
	// baresip hangs up when it ends, so pad it with silence to keep a call
	// up. Default: 60 s of silence.
	Prompt string
	// NoAnswer makes a Callee ring (180) without ever answering, for
	// CANCEL and ring-timeout tests.
	NoAnswer bool
	// NoClientCert stops a Caller from presenting the client certificate,
	// for tests of servers that require one.
	NoClientCert bool
	// SIPTrace adds every SIP message to the log (baresip -s).
	SIPTrace bool
}

// Baresip is a running baresip UA, controlled through ctrl_tcp.
type Baresip struct {
	SIPPort int    // UDP and TCP SIP port on 127.0.0.1
	TLSPort int    // its TLS port: baresip always uses SIPPort+1
	URI     string // how to reach its account: sip:user@127.0.0.1:TLSPort;transport=tls

	dir  string
	proc *process
	ctrl *ctrlConn
}

// StartBaresip writes a config and accounts file into a temp dir, starts
// baresip, waits until it is ready and connects to its ctrl_tcp port.
func StartBaresip(t testing.TB, cfg BaresipConfig) *Baresip {
	t.Helper()
	Require(t, "baresip")
	if cfg.PKI == nil {
		t.Fatalf("mediatest.StartBaresip: PKI is required")
	}
	if cfg.User == "" {
		cfg.User = map[Mode]string{Caller: "caller", Callee: "callee"}[cfg.Mode]
	}
	if cfg.MediaEnc == "" {
		cfg.MediaEnc = "srtp-mand"
	}
	if cfg.Codecs == "" {
		cfg.Codecs = "PCMU"
	}
	base := PortBlock(t, blockSize) // SIP, TLS, ctrl, then RTP from +4
	b := &Baresip{SIPPort: base, TLSPort: base + 1, dir: t.TempDir()}
	b.URI = fmt.Sprintf("sip:%s@127.0.0.1:%d;transport=tls", cfg.User, b.TLSPort)
	ctrlPort := base + 2
	if err := os.Mkdir(filepath.Join(b.dir, "rec"), 0o700); err != nil {
		t.Fatalf("mediatest.StartBaresip: %v", err)
	}
	if cfg.Prompt == "" {
		cfg.Prompt = filepath.Join(b.dir, "silence.wav")
		if err := WriteWAVFile16(cfg.Prompt, 8000, Silence(8000, time.Minute)); err != nil {
			t.Fatalf("mediatest.StartBaresip: %v", err)
		}
	}
	cert := cfg.PKI.ClientPEM
	if cfg.Mode == Callee {
		cert = cfg.PKI.ServerPEM
	}
	var conf strings.Builder
	for _, kv := range [][2]string{
		{"poll_method", "epoll"},
		{"sip_listen", addr(b.SIPPort)},
		// Without it baresip puts the host's first interface into SDP.
		{"net_interface", "127.0.0.1"},
		{"sip_cafile", cfg.PKI.CACert},
		{"sip_certificate", cert},
		{"audio_player", "alsa,null"}, // no sound card needed
		{"audio_alert", "alsa,null"},
		{"audio_source", "aufile," + cfg.Prompt},
		{"ausrc_srate", "8000"}, {"auplay_srate", "8000"},
		{"ausrc_channels", "1"}, {"auplay_channels", "1"},
		{"rtp_ports", fmt.Sprintf("%d-%d", base+4, base+blockSize-1)},
		{"module_path", "/usr/lib/baresip/modules"},
		{"module", "g711.so"}, {"module", "aufile.so"}, {"module", "alsa.so"},
		{"module", "srtp.so"}, {"module", "sndfile.so"},
		{"snd_path", filepath.Join(b.dir, "rec")},
		{"module_tmp", "account.so"},
		{"module_app", "menu.so"}, {"module_app", "ctrl_tcp.so"},
		{"ctrl_tcp_listen", addr(ctrlPort)},
	} {
		if kv[0] == "sip_certificate" && cfg.Mode == Caller && cfg.NoClientCert {
			continue
		}
		fmt.Fprintf(&conf, "%s\t%s\n", kv[0], kv[1])
	}
	writeFile(t, filepath.Join(b.dir, "config"), conf.String())
	writeFile(t, filepath.Join(b.dir, "accounts"), accountLine(cfg)+"\n")

	argv := []string{"baresip", "-f", b.dir}
	if cfg.SIPTrace {
		argv = append(argv, "-s")
	}
	b.proc = startProcess(t, "baresip", b.dir, argv...)
	// On SIGTERM baresip ends its calls and waits for the answers to its
	// BYEs, for ever if the peer is gone; a second SIGTERM forces it.
	b.proc.grace = time.Second
	b.proc.mustBeReady(t, "ready", func() bool {
		return strings.Contains(b.proc.Log(), "baresip is ready.") &&
			listening("tcp", ctrlPort) && listening("tcp", b.TLSPort)
	})
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	conn, err := dialLoopback(ctx, ctrlPort)
	if err != nil {
		t.Fatalf("mediatest.StartBaresip: ctrl_tcp: %v", err)
	}
	b.ctrl = newCtrlConn(conn)
	t.Cleanup(b.ctrl.Close) // runs before the process is stopped
	return b
}

// accountLine builds the accounts file entry.
func accountLine(cfg BaresipConfig) string {
	aor := fmt.Sprintf("<sip:%s@127.0.0.1;transport=tls>", cfg.User)
	if cfg.DisplayName != "" {
		aor = strconv.Quote(cfg.DisplayName) + " " + aor
	}
	params := []string{"regint=0", "audio_codecs=" + cfg.Codecs}
	if cfg.MediaEnc != "none" {
		params = append(params, "mediaenc="+cfg.MediaEnc)
	}
	if cfg.Mode == Callee && !cfg.NoAnswer {
		params = append(params, "answermode=auto")
	}
	if cfg.AuthUser != "" {
		params = append(params, "auth_user="+cfg.AuthUser, "auth_pass="+cfg.AuthPass)
	}
	return aor + ";" + strings.Join(params, ";")
}

func writeFile(t testing.TB, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatalf("mediatest: %v", err)
	}
}

// Dial places a call to uri (e.g. "sip:robot@127.0.0.1:5061;transport=tls").
// It returns when baresip has accepted the command; wait for
// CALL_ESTABLISHED or CALL_CLOSED to learn how the call went.
func (b *Baresip) Dial(ctx context.Context, uri string) error {
	_, err := b.ctrl.command(ctx, "dial", uri)
	return err
}

// SendDTMF sends digits (0-9, *, #, A-D) as RFC 4733 events in the current
// call.
func (b *Baresip) SendDTMF(ctx context.Context, digits string) error {
	_, err := b.ctrl.command(ctx, "sndcode", digits)
	return err
}

// Hangup ends the current call.
func (b *Baresip) Hangup(ctx context.Context) error {
	_, err := b.ctrl.command(ctx, "hangup", "")
	return err
}

// WaitEvent returns the first event of type typ that no earlier WaitEvent
// returned, waiting for it: called four times for CALL_DTMF_START it
// returns the four digits in order.
func (b *Baresip) WaitEvent(ctx context.Context, typ string) (Event, error) {
	return b.ctrl.next(ctx, typ)
}

// Events returns every event so far.
func (b *Baresip) Events() []Event { return b.ctrl.snapshot() }

// ReceivedDTMF returns the digits received so far (CALL_DTMF_START events).
func (b *Baresip) ReceivedDTMF() string {
	var s strings.Builder
	for _, e := range b.Events() {
		if e.Type == "CALL_DTMF_START" {
			s.WriteString(e.Param)
		}
	}
	return s.String()
}

// Recordings returns the WAV files sndfile wrote for the latest call: what
// baresip sent (its encoder input) and what it heard (its decoder output).
// Files are named by the second the call started, so two calls started in
// one second share a pair.
func (b *Baresip) Recordings() (sent, heard string, err error) {
	enc, _ := filepath.Glob(filepath.Join(b.dir, "rec", "dump-*-enc.wav"))
	dec, _ := filepath.Glob(filepath.Join(b.dir, "rec", "dump-*-dec.wav"))
	if len(enc) == 0 || len(dec) == 0 {
		return "", "", fmt.Errorf("baresip: no recordings in %s", filepath.Join(b.dir, "rec"))
	}
	slices.Sort(enc)
	slices.Sort(dec)
	return enc[len(enc)-1], dec[len(dec)-1], nil
}

// Dir is the UA's temp dir: config, accounts and recordings under rec/.
func (b *Baresip) Dir() string { return b.dir }

// Log returns baresip's output.
func (b *Baresip) Log() string { return b.proc.Log() }
