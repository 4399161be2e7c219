#!/usr/bin/env bash
# The whole test suite (README, second command): installs what it needs when missing,
# builds, type-checks, lints and runs every test tier.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the end-to-end tests start for real (apt does not start them; the tests do).
missing=()
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v pgrep >/dev/null || missing+=(procps)
# Traffic routers and metric analysis (blue-green, canary).
[ -x /usr/sbin/nginx ] || missing+=(nginx-light)
[ -x /usr/sbin/haproxy ] || missing+=(haproxy)
[ -x /usr/bin/prometheus ] || missing+=(prometheus)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "the tests need these Debian packages: ${missing[*]} (run as root, or install them first)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

[ -d node_modules/better-sqlite3/build ] || npm ci
npm run build --silent
npx tsc -p tsconfig.test.json
npx biome check .
npx vitest run "$@"
