# Runs a command and prints its wall time (s) and the peak RSS (KiB) of its largest process.
# Usage: python3 measure.py <cwd> <cmd...>   → stdout: "<seconds> <kib> <exit>"
import os, resource, subprocess, sys, time
cwd, cmd = sys.argv[1], sys.argv[2:]
start = time.monotonic()
done = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.monotonic() - start
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
if done.returncode != 0:
    sys.stderr.write(done.stderr.decode(errors="replace")[-2000:])
print(f"{wall:.4f} {rss} {done.returncode}")
