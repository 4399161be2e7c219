#!/usr/bin/env bash
# The whole test suite (README, second command): installs what it needs when missing,
# builds, type-checks, lints and runs every test tier.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/better-sqlite3/build ] || npm ci
npx tsc -p tsconfig.json
npx tsc -p tsconfig.test.json
npx biome check .
npx vitest run "$@"
