#!/bin/sh
# The container's entry point: an empty metrics folder for this process tree
# (prometheus_client multiprocess files of a previous run would be counted again), then
# the command (gunicorn, celery worker, celery beat, or deploy/release.sh).
set -eu
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
  rm -rf "$PROMETHEUS_MULTIPROC_DIR"
  mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi
exec "$@"
