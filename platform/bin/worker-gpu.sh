#!/usr/bin/env sh
# Engine worker: one job at a time per GPU (solo pool, prefetch 1), late acknowledgement. Run one of these per
# GPU; set CUDA_VISIBLE_DEVICES to pin it. Its name includes the host so the job log shows where work ran.
set -eu
exec celery -A likeness worker -Q gpu --pool=solo --concurrency=1 --prefetch-multiplier=1 \
     -n "gpu-${CUDA_VISIBLE_DEVICES:-0}@%h" --loglevel="${LOG_LEVEL:-INFO}"
