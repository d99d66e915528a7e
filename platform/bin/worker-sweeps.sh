#!/usr/bin/env sh
# The periodic sweeps (requeue or fail jobs whose worker died, end stale previews, expire grants) on a queue of
# their own: no GPU worker consumes it, so a six-hour job cannot hold a sweep up, and no fingerprint can either.
# Sweeps are short; one process is plenty (two are harmless: each sweep takes its rows with conditional updates).
set -eu
exec celery -A likeness worker -Q sweeps --pool=solo --concurrency=1 --prefetch-multiplier=1 \
     -n "sweeps@%h" --loglevel="${LOG_LEVEL:-INFO}"
