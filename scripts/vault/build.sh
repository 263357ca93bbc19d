#!/usr/bin/env bash
# build.sh builds the HashiCorp Vault dev server that Kordon's Vault tests run
# against (tokenizer/keys/vaulttest) and installs it as
# /usr/local/lib/kordon-test/vault. It is idempotent: when that binary exists
# and reports the pinned version it does nothing.
#
# Why a build and not a download: no Vault release binary is reachable from the
# build machines, only the Go module proxy. Vault v1.21.4 does not build as a
# plain dependency, because its go.mod replaces github.com/hashicorp/vault/sdk
# with the in-tree ./sdk, which is not published; the newest tagged sdk
# (v0.21.0) differs from it in two signatures the server calls. So this script
# copies sdk v0.21.0 out of the module cache, changes those two signatures back,
# and builds against that copy (the ./sdk replace in go.mod):
#
#   1. framework.Backend.ActivationFunc takes (context.Context, *logical.Request)
#      again; v0.21.0 added a third string parameter.
#   2. keysutil.(*LockManager).RestorePolicy returns (string, error), the name
#      of the restored key and the error, instead of only error.
#
# The copy is a reconstruction of the in-tree sdk, not the exact one; transit,
# approle and the dev server are what the tests use and what was verified.
#
# A cold build takes about 17 minutes on 2 cores and peaks near 6 GB of RAM;
# with a warm Go build cache it takes about a minute. Everything it writes lives
# outside the repository: the build directory and log under
# /var/cache/kordon-test/vault-build, the binary under /usr/local/lib/kordon-test.
#
# Environment:
#   KORDON_VAULT_OUT        where to install the binary (default /usr/local/lib/kordon-test/vault)
#   KORDON_VAULT_BUILD_DIR  build directory (default /var/cache/kordon-test/vault-build)
#   GOFLAGS                 default "-p=2" so the build leaves room for other work
#
# Never run `go mod tidy` in the build directory: with the ./sdk replace it fails
# looking for sdk test helpers the tagged sdk lacks. go.sum here is already
# complete; update it only by regenerating it from a fresh `go get`.
set -euo pipefail

vault_version=v1.21.4
sdk_version=v0.21.0
out=${KORDON_VAULT_OUT:-/usr/local/lib/kordon-test/vault}
build=${KORDON_VAULT_BUILD_DIR:-/var/cache/kordon-test/vault-build}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

export PATH=/usr/local/go/bin:$PATH
export GOTOOLCHAIN=local GOFLAGS=${GOFLAGS:--p=2} CGO_ENABLED=1

installed() {
	[[ -x $out ]] && "$out" version 2>/dev/null | grep -q "^Vault ${vault_version}\b"
}

if installed; then
	echo "vault: $("$out" version) already at $out"
	exit 0
fi

mkdir -p "$build" "$(dirname "$out")"
# One build at a time: two concurrent runs of test-deps would fight over $build.
exec 9>"$build.lock"
flock 9
if installed; then
	echo "vault: $("$out" version) already at $out"
	exit 0
fi

log=$build/build.log
: >"$log"
echo "vault: building ${vault_version} into $out (log: $log; ~17 min cold)"
start=$(date +%s)

cp "$here/go.mod" "$here/go.sum" "$build/"

# Fetch the tagged sdk into the module cache. Run outside any module so the
# ./sdk replace in go.mod does not redirect the request.
sdk_src=$(cd / && GOFLAGS= go mod download -json "github.com/hashicorp/vault/sdk@${sdk_version}" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [[ -z $sdk_src || ! -d $sdk_src ]]; then
	echo "vault: could not locate sdk ${sdk_version} in the module cache" >&2
	exit 1
fi

rm -rf "$build/sdk"
cp -r "$sdk_src" "$build/sdk"
chmod -R u+w "$build/sdk"

# Shim 1: ActivationFunc back to two arguments.
backend=$build/sdk/framework/backend.go
perl -0pi -e 's/ActivationFunc func\(context\.Context, \*logical\.Request, string\) error/ActivationFunc func(context.Context, *logical.Request) error/ or die "ActivationFunc not found\n"' "$backend"

# Shim 2: RestorePolicy returns (string, error). Inside that one function every
# `return nil` becomes `return name, nil` and every other `return X` becomes
# `return "", X`; name holds the restored key's name by the time it succeeds.
locks=$build/sdk/helper/keysutil/lock_manager.go
perl -0pi -e '
	s{(func \(lm \*LockManager\) RestorePolicy\([^)]*\)) error \{\n(.*?)\n\}\n}{
		my ($sig, $body) = ($1, $2);
		$body =~ s/\breturn nil\b/return name, nil/g;
		$body =~ s/\breturn (?!name, nil)/return "", /g;
		"$sig (string, error) {\n$body\n}\n"
	}se or die "RestorePolicy not found\n";
' "$locks"

cd "$build"
if ! go build -trimpath -o vault.new github.com/hashicorp/vault >>"$log" 2>&1; then
	echo "vault: build failed; last lines of $log:" >&2
	tail -n 40 "$log" >&2
	exit 1
fi
install -m 0755 vault.new "$out.new"
mv -f "$out.new" "$out"
rm -f vault.new
echo "vault: $("$out" version) installed at $out in $(( $(date +%s) - start )) s"
