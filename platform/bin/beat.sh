#!/usr/bin/env sh
# The schedule of the periodic sweeps (requeue or fail jobs whose worker died, expire grants): it only sends
# them, to the `sweeps` queue, which worker-sweeps.sh runs. Run exactly one.
set -eu
exec celery -A likeness beat --schedule /tmp/celerybeat-schedule --loglevel="${LOG_LEVEL:-INFO}"
