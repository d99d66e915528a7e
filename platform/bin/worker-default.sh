#!/usr/bin/env sh
# Light work (sweeps, notifications): a few processes are plenty.
set -eu
exec celery -A likeness worker -Q default --concurrency="${DEFAULT_CONCURRENCY:-2}" --prefetch-multiplier=1 \
     -n "default@%h" --loglevel="${LOG_LEVEL:-INFO}"
