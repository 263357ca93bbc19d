// Package mediatest runs real SIP and media peers — baresip, sipp behind
// stunnel, Kamailio and rtpengine — on 127.0.0.1 for the tests of Kordon's
// SIP edge, and holds the small tools those tests assert with: a throwaway
// PKI, WAV reading and writing, tone and correlation analysis, and a scan
// for raw phone numbers in logs.
//
// Only tests import it. Every peer is a child process started with
// exec.CommandContext in its own process group and temp dir, with ports
// reserved for the test (PortBlock), its output captured for failure
// messages, and readiness waited for by polling a log line or
// /proc/net/{tcp,udp} — never a fixed sleep. t.Cleanup stops each process
// group and waits for it, so a test that passes leaves nothing running.
//
// The peers are Debian packages installed by scripts/test-deps.sh. Require
// skips a test when one is missing, unless KORDON_REQUIRE_PEERS=1 (set by
// `make test`), which turns the skip into a failure so that CI cannot pass
// by silently testing nothing.
//
// Peer quirks the helpers encode or the tests show (Debian 12 versions):
//   - sipp 3.6.1 is built without OpenSSL, so TLS goes through stunnel4
//     (StartStunnelClient, StartStunnelServer); one sipp run shares one TLS
//     connection.
//   - sipp's built-in uac ignores Record-Route and its built-in uas does
//     not copy it into responses; the embedded scenarios do both, so they
//     work directly and through Kamailio alike.
//   - baresip 1.0.0 listens for TLS on its SIP port + 1; must be told
//     net_interface 127.0.0.1 or it puts the host's first address into
//     SDP; ends a call when its aufile source reaches the end of the file;
//     reports a hang-up it received as "Connection reset by peer" even after
//     a clean BYE/200; and always offers exactly one crypto suite,
//     AES_CM_128_HMAC_SHA1_80, with no setting to change it (as answerer it
//     takes the first of AES_CM_128_HMAC_SHA1_80/32 and AEAD_AES_128/256_GCM
//     it is offered).
//   - baresip decodes unpadded base64 SDES keys one byte short when the key
//     length is not a multiple of 3 (every GCM suite): peers of baresip must
//     pad their keys. rtpengine pads only with the SDES-pad flag.
//   - rtpengine runs in userspace (--table=-1); its ng protocol is bencode
//     over UDP, spoken by RTPEngine.Do.
//
// Helpers call t.Fatal from the test goroutine only; methods that may run
// elsewhere return errors instead.
package mediatest
