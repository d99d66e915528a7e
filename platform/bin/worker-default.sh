#!/usr/bin/env sh
# Light work (output fingerprints): a few processes are plenty. The sweeps have their own worker-sweeps.sh.
set -eu
exec celery -A likeness worker -Q default --concurrency="${DEFAULT_CONCURRENCY:-2}" --prefetch-multiplier=1 \
     -n "default@%h" --loglevel="${LOG_LEVEL:-INFO}"
