#!/usr/bin/env sh
# The periodic sweeps (requeue jobs whose worker died, expire grants). Run exactly one.
set -eu
exec celery -A likeness beat --schedule /tmp/celerybeat-schedule --loglevel="${LOG_LEVEL:-INFO}"
