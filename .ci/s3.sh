#!/usr/bin/env bash
# .ci/s3.sh: start a throwaway S3-compatible server for the object-storage
# tests and print their setting on stdout, e.g.
#   export DISTILL_TEST_S3=$(.ci/s3.sh)
# The line is ENDPOINT|BUCKET|ACCESS_KEY|SECRET_KEY. The server is versitygw
# (Apache-2.0, a real S3 gateway; its posix backend keeps each object as a
# plain file and its metadata in user xattrs), `go install`ed at a pinned
# version into a cache folder (reused while its version matches), started on
# a free local port with a new temporary folder of buckets, and given one bucket.
# Progress goes to stderr, with how to stop it.
set -euo pipefail

say() { echo "s3.sh: $*" >&2; }

version=v1.8.0
cache=${DISTILL_S3_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/distill-s3}
bin=$cache/bin/versitygw
if ! { [ -x "$bin" ] && go version -m "$bin" 2>/dev/null | grep -q "github.com/versity/versitygw[[:space:]]*$version"; }; then
    say "installing versitygw $version into $cache/bin (go install: a few minutes the first time)"
    mkdir -p "$cache/bin"
    GOBIN="$cache/bin" GOFLAGS=-buildvcs=false go install "github.com/versity/versitygw/cmd/versitygw@$version" >&2
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/distill-s3.XXXXXX")
mkdir -p "$dir/buckets/distill"      # with the posix backend a folder is a bucket
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
key=distilltest
secret=distill-test-secret-$(python3 -c 'import secrets; print(secrets.token_hex(8))')
nohup "$bin" --access "$key" --secret "$secret" --port "127.0.0.1:$port" --quiet posix "$dir/buckets" \
    >"$dir/server.log" 2>&1 </dev/null &
pid=$!
for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    kill -0 "$pid" 2>/dev/null || { cat "$dir/server.log" >&2; say "versitygw exited"; exit 1; }
    sleep 0.05
done
# The bucket must answer a signed request (it also checks the xattrs work;
# needs curl 7.75 or later, else the tests find out).
command -v curl >/dev/null 2>&1 && code=$(curl -s -o "$dir/probe.out" -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" --user "$key:$secret" \
    -H 'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' \
    "http://127.0.0.1:$port/distill?list-type=2") || true
[ "${code:-200}" = 200 ] || { cat "$dir/probe.out" "$dir/server.log" >&2; say "bucket check answered $code"; kill "$pid"; exit 1; }
say "versitygw $version runs in $dir (port $port, pid $pid, bucket distill); stop it with: kill $pid"
echo "http://127.0.0.1:$port|distill|$key|$secret"
