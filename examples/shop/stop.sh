#!/usr/bin/env bash
# Stops every service process the shop demo started (their pid files live under .marshal/hosts).
cd "$(dirname "$0")"
for pidfile in .marshal/hosts/*/*/*/run/service.pid; do
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  # Each service runs in its own process group: stop the whole group.
  kill -TERM -- "-$pid" 2>/dev/null && echo "stopped $(basename "$(dirname "$(dirname "$pidfile")")") (pid $pid)"
done
exit 0
