#!/bin/sh
# One release step, run once per deploy before the new web and worker processes start:
# the systemd unit chainledger-migrate.service, the compose service `migrate`, the
# Kubernetes Job deploy/k8s/migrate-job.yaml and deploy/smoke.sh all run this file.
# Never part of a web process's start (N web processes would migrate N times at once).
set -eu
PYTHON="${PYTHON:-python}"
# Public schema first, then every tenant schema (the template and the signup pool are
# tenant rows too); schemas with nothing to apply are skipped.
"$PYTHON" manage.py migrate_tenants
# The platform's own tenant row and domain (idempotent).
"$PYTHON" manage.py platform_bootstrap
# Tops the signup pool up (a no-op when full); beat keeps it full afterwards.
"$PYTHON" manage.py signup_pool_fill
