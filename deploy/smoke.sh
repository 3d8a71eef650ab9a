#!/usr/bin/env bash
# Smoke test of the production profile on this machine, without Docker (run by .ci/run).
#
# In a fresh temp folder: the embedded PostgreSQL and Redis (through the supervisor), the
# release step (deploy/release.sh), gunicorn with deploy/gunicorn.conf.py, a Celery worker
# and beat, and nginx running deploy/nginx.conf (host, ports and certificate replaced; a
# self-signed certificate) as the current user, all with DJANGO_ENV=production on free
# ports. Then, over HTTPS through nginx like a user: sign a tenant up, log in on its
# subdomain, create a customer, import a workbook through the worker until `done`; check
# /healthz, /readyz and the metrics of web and worker, the JSON logs, and that every
# process stops and none is left.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BIN="$ROOT/.venv/bin"
PY="$BIN/python"

say() { echo "[smoke] $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

if [ "${1:-}" != "--inside" ]; then
  command -v nginx >/dev/null || fail "nginx not found (Debian: apt-get install nginx-light)"
  [ -x "$PY" ] || fail "no .venv: run make install first"
  WORK="$(mktemp -d /tmp/clsmoke.XXXXXX)"
  chmod 755 "$WORK"   # the embedded PostgreSQL runs as its own user when we are root
  status=0
  env -u DATABASE_URL -u REDIS_URL -u SECRET_KEY -u CELERY_BROKER_URL -u CACHE_URL \
      -u CELERY_RESULT_URL DATA_DIR="$WORK/data" SMOKE_WORK="$WORK" \
      "$PY" -m config.supervisor exec -- bash "$0" --inside || status=$?
  # The supervisor has stopped the embedded servers too: nothing of this run may be left.
  left="$(pgrep -f "$WORK" || true)"
  if [ -n "$left" ]; then
    say "FAILED: processes left behind:"; ps -o pid,args -p "$(echo $left | tr ' ' ,)" >&2
    status=1
  fi
  if [ "$status" = 0 ] && [ -z "${SMOKE_KEEP:-}" ]; then rm -rf "$WORK"; else say "logs kept in $WORK"; fi
  [ "$status" = 0 ] && say "passed"
  exit "$status"
fi

# --- inside the supervisor: DATABASE_URL, REDIS_URL, SECRET_KEY are set -------------------
WORK="$SMOKE_WORK"
free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
APP_PORT="$(free_port)"; WORKER_METRICS_PORT="$(free_port)"
HTTPS_PORT="$(free_port)"; HTTP_PORT="$(free_port)"
SUB=smoke
export DJANGO_ENV=production BASE_DOMAIN=localhost SITE_SCHEME=https SITE_PORT="$HTTPS_PORT"
export NUM_PROXIES=1 LOG_LEVEL=INFO STATIC_ROOT="$WORK/static"
export SIGNUP_POOL_SIZE=2 SIGNUP_POOL_LOW_WATER=0 SIGNUP_POOL_BATCH=1
export METRICS_TOKEN="$(openssl rand -hex 16)" METRICS_ALLOWED_NETWORKS=""

PIDS=()
stop_all() {
  local pid deadline
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  deadline=$((SECONDS + 40))
  for pid in "${PIDS[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      say "pid $pid did not stop on SIGTERM in time; killing it"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  PIDS=()
}
trap stop_all EXIT
# Each process in its own process group (setsid), so a stuck one is killed with its children.
start() {  # name, command...
  local name="$1"; shift
  setsid "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
}

say "check --deploy"
"$PY" manage.py check --deploy --fail-level WARNING

say "release step (deploy/release.sh)"
PYTHON="$PY" sh deploy/release.sh >"$WORK/release.log" 2>&1 || { cat "$WORK/release.log"; fail "release"; }
"$PY" manage.py collectstatic --noinput -v 0

say "TLS certificate for localhost and $SUB.localhost"
mkdir -p "$WORK/tls" "$WORK/nginx/conf.d" "$WORK/metrics-web" "$WORK/metrics-worker"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,DNS:$SUB.localhost" \
  -keyout "$WORK/tls/privkey.pem" -out "$WORK/tls/fullchain.pem" 2>/dev/null
CA="$WORK/tls/fullchain.pem"

say "nginx: deploy/nginx.conf on ports $HTTPS_PORT (https) and $HTTP_PORT (http)"
sed -e "s/example\.com/localhost/g" \
    -e "s/listen 443 /listen 127.0.0.1:$HTTPS_PORT /" -e "s/listen 80;/listen 127.0.0.1:$HTTP_PORT;/" \
    -e "s#127\.0\.0\.1:8000#127.0.0.1:$APP_PORT#" -e "s#/etc/ssl/chainledger/#$WORK/tls/#g" \
    deploy/nginx.conf >"$WORK/nginx/conf.d/chainledger.conf"
grep -q "listen 127.0.0.1:$HTTPS_PORT ssl" "$WORK/nginx/conf.d/chainledger.conf" \
  || fail "deploy/nginx.conf no longer has the lines this script rewrites"
user_line=""; [ "$(id -u)" = 0 ] && user_line="user root;"
cat >"$WORK/nginx/nginx.conf" <<NGINX
$user_line
daemon off;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 256; }
http {
    access_log $WORK/nginx/access.log;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    include $WORK/nginx/conf.d/*.conf;
}
NGINX
nginx -t -q -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log"

say "starting gunicorn, worker, beat, nginx"
PROMETHEUS_MULTIPROC_DIR="$WORK/metrics-web" GUNICORN_BIND="127.0.0.1:$APP_PORT" WEB_CONCURRENCY=2 \
  start web "$BIN/gunicorn" -c deploy/gunicorn.conf.py config.wsgi
PROMETHEUS_MULTIPROC_DIR="$WORK/metrics-worker" WORKER_METRICS_PORT="$WORKER_METRICS_PORT" \
  start worker "$BIN/celery" -A config worker -Q default,imports --concurrency 1 --loglevel INFO
start beat "$BIN/celery" -A config beat --loglevel INFO --schedule "$WORK/celerybeat-schedule"
start nginx nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log"

# curl over HTTPS through nginx, the certificate verified, *.localhost resolved to loopback.
https() {  # host path [curl args...]
  local host="$1" path="$2"; shift 2
  curl -sS --cacert "$CA" --resolve "$host:$HTTPS_PORT:127.0.0.1" "$@" \
    "https://$host:$HTTPS_PORT$path"
}
json() { "$PY" -c "import json, sys; d = json.load(sys.stdin); print(*[$1])"; }

deadline=$((SECONDS + 90))
# The orchestrator's view: a pod address as Host, straight to gunicorn.
until [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: 10.1.2.3' "http://127.0.0.1:$APP_PORT/readyz")" = 200 ]; do
  [ $SECONDS -lt $deadline ] || { tail -n 30 "$WORK/web.log"; fail "/readyz never answered 200"; }
  sleep 0.5
done
[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: 10.1.2.3' "http://127.0.0.1:$APP_PORT/healthz")" = 200 ] \
  || fail "/healthz on a pod address"
https localhost /readyz | grep -q '"database": "ok", "broker": "ok"' || fail "/readyz through nginx"
code="$(curl -s -o /dev/null -w '%{http_code}' -H "Host: localhost" "http://127.0.0.1:$HTTP_PORT/")"
[ "$code" = 301 ] || fail "plain HTTP should redirect to HTTPS, got $code"
# The app itself redirects plain HTTP too (SECURE_SSL_REDIRECT) unless the proxy says https.
code="$(curl -s -o /dev/null -w '%{http_code}' -H "Host: localhost" "http://127.0.0.1:$APP_PORT/")"
[ "$code" = 301 ] || fail "gunicorn without X-Forwarded-Proto should redirect, got $code"
headers="$(https localhost / -o /dev/null -D -)"
echo "$headers" | grep -qi '^strict-transport-security: max-age=31536000; includeSubDomains' \
  || fail "no HSTS header"
echo "$headers" | grep -qi '^x-request-id: ' || fail "no X-Request-ID"

say "sign up a tenant through nginx"
PASSWORD="smoke $(openssl rand -hex 8) passphrase"
signup="$(https localhost /api/v1/signup -H 'Content-Type: application/json' -d "{
  \"business_name\": \"Cửa hàng Khói\", \"subdomain\": \"$SUB\", \"owner_email\": \"owner@smoke.example\",
  \"owner_password\": \"$PASSWORD\", \"currency\": \"VND\", \"locale\": \"vi\"}" -w '\n%{http_code}')"
[ "$(echo "$signup" | tail -n 1)" = 201 ] || fail "signup: $signup"
url="$(echo "$signup" | head -n -1 | json 'd["tenant"]["url"]')"
[ "${url%/}" = "https://$SUB.localhost:$HTTPS_PORT" ] || fail "tenant URL $url"

say "log in on $SUB.localhost, create a customer"
token="$(https "$SUB.localhost" /api/v1/auth/token -H 'Content-Type: application/json' \
  -d "{\"username\": \"owner@smoke.example\", \"password\": \"$PASSWORD\"}" | json 'd["token"]')"
auth=(-H "Authorization: Token $token")
created="$(https "$SUB.localhost" /api/v1/customers "${auth[@]}" -H 'Content-Type: application/json' \
  -H "Idempotency-Key: smoke-$(openssl rand -hex 8)" \
  -d '{"name": "Nguyễn Thị Ánh", "phone": "0912 345 678"}' -w '\n%{http_code}')"
[ "$(echo "$created" | tail -n 1)" = 201 ] || fail "customer create: $created"

say "import a workbook through the worker"
"$PY" - "$WORK/customers.xlsx" <<'PYTHON'
import sys

import django

django.setup()
from openpyxl import Workbook  # noqa: E402

from exchange.columns import CONTACT_TEMPLATE_COLUMNS, CUSTOMER_TEMPLATE_COLUMNS  # noqa: E402

book = Workbook()
sheet = book.active
sheet.title = "Customers"
sheet.append([c.header("en") for c in CUSTOMER_TEMPLATE_COLUMNS])
keys = [c.key for c in CUSTOMER_TEMPLATE_COLUMNS]
for i in range(3):
    row = {"code": f"SM{i:04d}", "name": f"Khách nhập {i}", "phone": f"0987 654 3{i:02d}"}
    sheet.append([row.get(k) for k in keys])
book.create_sheet("Contacts").append([c.header("en") for c in CONTACT_TEMPLATE_COLUMNS])
book.save(sys.argv[1])
PYTHON
job="$(https "$SUB.localhost" /api/v1/imports/customers "${auth[@]}" -D "$WORK/import.headers" \
  -F mode=all_or_nothing -F match=code -F "file=@$WORK/customers.xlsx" -w '\n%{http_code}')"
[ "$(echo "$job" | tail -n 1)" = 202 ] || fail "import: $job"
job_id="$(echo "$job" | head -n -1 | json 'd["id"]')"
import_request_id="$(grep -i '^x-request-id:' "$WORK/import.headers" | tr -d '\r' | cut -d' ' -f2)"
deadline=$((SECONDS + 120))
while :; do
  state="$(https "$SUB.localhost" "/api/v1/imports/$job_id" "${auth[@]}" | json 'd["status"], d.get("created")')"
  case "$state" in
    "done 3") break ;;
    done*|failed*) fail "import ended $state" ;;
  esac
  [ $SECONDS -lt $deadline ] || { tail -n 30 "$WORK/worker.log"; fail "import still $state"; }
  sleep 0.5
done
count="$(https "$SUB.localhost" "/api/v1/customers" "${auth[@]}" | json 'len(d["results"])')"
[ "$count" = 4 ] || fail "expected 4 customers, listed $count"

say "metrics"
code="$(https localhost /metrics -o /dev/null -w '%{http_code}')"
[ "$code" = 404 ] || fail "/metrics through nginx answered $code"
code="$(https localhost /%6Detrics -o /dev/null -w '%{http_code}')"   # nginx matches decoded
[ "$code" = 404 ] || fail "/%6Detrics through nginx answered $code"
code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$APP_PORT/metrics")"
[ "$code" = 403 ] || fail "/metrics without the token answered $code"
curl -sf -H "Authorization: Bearer $METRICS_TOKEN" "http://127.0.0.1:$APP_PORT/metrics" >"$WORK/web.metrics"
grep -q 'chainledger_http_request_duration_seconds_count{method="POST",site="public",status="201",view="signup"} 1.0' "$WORK/web.metrics" \
  || { grep chainledger_http "$WORK/web.metrics" | head; fail "no signup latency"; }
grep -q 'chainledger_http_request_duration_seconds_count{method="POST",site="tenant",status="202",view="import-customers"}' "$WORK/web.metrics" \
  || fail "no import latency"
grep -q '^chainledger_celery_queue_length{queue="imports"} 0.0' "$WORK/web.metrics" || fail "no queue length"
curl -sf "http://127.0.0.1:$WORKER_METRICS_PORT/metrics" >"$WORK/worker.metrics"
grep -q 'chainledger_celery_task_duration_seconds_count{state="SUCCESS",task="imports.customers"} 1.0' "$WORK/worker.metrics" \
  || { grep chainledger "$WORK/worker.metrics" | head; fail "no import task duration"; }

say "JSON logs with tenant and request id"
"$PY" - "$WORK/web.log" "$WORK/worker.log" "$import_request_id" <<'PYTHON'
import json
import sys

web, worker, request_id = sys.argv[1:]


def entries(path):
    for line in open(path, encoding="utf-8"):
        if line.startswith("{"):
            yield json.loads(line)


access = [e for e in entries(web) if e["logger"] == "chainledger.request"]
imports = [e for e in access if e.get("view") == "import-customers"]
assert imports and imports[0]["tenant"].startswith("t_"), imports
assert imports[0]["request_id"] == request_id, (imports[0], request_id)
tasks = [e for e in entries(worker) if e.get("request_id") == request_id]
assert tasks and all(e["tenant"].startswith("t_") for e in tasks), "no worker line of the import"
print(f"[smoke] {len(access)} access lines; {len(tasks)} worker lines carry the import's id",
      file=sys.stderr)
PYTHON

say "stopping everything"
stop_all
trap - EXIT
