#!/usr/bin/env bash
# test-deps.sh installs what Kordon's tests need on a fresh Debian 12 with Go
# at /usr/local/go, run as root. It is idempotent: packages already present
# and an up-to-date Vault build are left alone, so CI may run it every time.
#
#   gcc              cgo, for mattn/go-sqlite3 and the race detector
#   sqlite3          inspecting test databases by hand
#   ca-certificates  TLS to the Go module proxy
#   curl, jq         scripts and debugging
#   sip-tester (sipp), baresip-core, baresip, kamailio, kamailio-tls-modules,
#   rtpengine-daemon, stunnel4, openssl
#                    the real SIP/SRTP peers of media/mediatest (DESIGN.md §5);
#                    with KORDON_REQUIRE_PEERS=1 their tests fail instead of
#                    skipping when one is missing
#   espeak-ng, sox   speech prompts and audio conversion for media tests
#   tcpdump          capturing a failing call by hand
#   Vault dev server built from source by scripts/vault/build.sh (about 17 min
#                    cold, a minute with a warm Go build cache); the Vault tests
#                    need it, and fail instead of skipping with KORDON_REQUIRE_VAULT=1.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH=/usr/local/go/bin:$PATH

packages=(gcc libc6-dev sqlite3 ca-certificates curl jq
	sip-tester baresip-core baresip kamailio kamailio-tls-modules rtpengine-daemon
	stunnel4 openssl espeak-ng sox tcpdump)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "test-deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v go >/dev/null || { echo "test-deps: Go not found at /usr/local/go/bin" >&2; exit 1; }

bash scripts/vault/build.sh
