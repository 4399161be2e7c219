#!/usr/bin/env bash
# The demo (README, first command): deploys the shop to dev as v1, then v2, then a v3
# whose api fails its health check and is rolled back on its own; ends with status and history.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ -d "$root/node_modules" ] || (cd "$root" && npm ci)
(cd "$root" && npm run build --silent)
cd "$root/examples/shop"
marshal() { node "$root/bin/marshal.js" "$@"; }
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

bash ./stop.sh >/dev/null        # a previous demo's processes
# The shop listens on 7101-7104: a demo still running from another checkout would answer instead.
node -e '
  const net = require("node:net");
  const busy = [];
  Promise.all([7101, 7102, 7103, 7104].map((port) => new Promise((done) => {
    const s = net.createServer().once("error", () => { busy.push(port); done(); })
      .listen(port, "127.0.0.1", () => s.close(done));
  }))).then(() => {
    if (busy.length === 0) return;
    const what = busy.length > 1 ? `ports ${busy.join(", ")} are` : `port ${busy[0]} is`;
    console.error(`demo: ${what} in use (a demo from another checkout? stop it with its examples/shop/stop.sh)`);
    process.exit(1);
  });'
rm -rf .marshal build
node build.mjs v1 && node build.mjs v2 && node build.mjs v3 --defect api

say marshal validate;                 marshal validate
say marshal plan dev --version v1;    marshal plan dev --version v1
say marshal deploy dev --version v1;  marshal deploy dev --version v1 --reason "first release"
say marshal deploy dev --version v2;  marshal deploy dev --version v2 --reason "new checkout flow"
say marshal plan dev --version v3;    marshal plan dev --version v3
say marshal deploy dev --version v3
set +e
marshal deploy dev --version v3 --reason "payments client"
code=$?
set -e
echo "(exit status $code: 1 means the deploy failed and was rolled back cleanly)"
[ "$code" -eq 1 ] || { echo "demo: expected the v3 deploy to fail and roll back (exit 1)"; exit 1; }
say marshal status;   marshal status
say marshal status --probe;   marshal status --probe
say marshal history;  marshal history
say "GET / on every service"
for port in 7101 7102 7103 7104; do
  body=$(node -e 'fetch(process.argv[1]).then(async (r) => { process.stdout.write(await r.text()); process.exit(r.ok ? 0 : 1); })' "http://127.0.0.1:$port/")
  echo "  :$port  $body"
  case "$body" in *v2*) ;; *) echo "demo: service on :$port is not on v2"; exit 1 ;; esac
done
printf '\nEvery service is on v2 and answering. Stop them with: bash examples/shop/stop.sh\n'
