#!/usr/bin/env bash
# Point-in-time recovery: a new data folder from a base backup plus the WAL archive, set to
# replay up to a time (or an LSN) and then open for writes. It does not start the server.
#   deploy/backup/restore.sh BASE_BACKUP WAL_ARCHIVE NEW_PGDATA [--target-time 'YYYY-MM-DD HH:MM:SS+00' | --target-lsn 0/5000060]
# Without a target it replays every archived segment (the latest state).
# Then: chown -R postgres NEW_PGDATA; pg_ctl -D NEW_PGDATA start; check; point the app at it.
set -euo pipefail
base=${1:?usage: restore.sh BASE_BACKUP WAL_ARCHIVE NEW_PGDATA [--target-time T | --target-lsn L]}
archive=${2:?WAL archive folder}
pgdata=${3:?new data folder}
shift 3
target=""
case "${1:-}" in
  --target-time) target="recovery_target_time = '${2:?time}'" ;;
  --target-lsn) target="recovery_target_lsn = '${2:?lsn}'" ;;
  "") ;;
  *) echo "restore.sh: unknown option $1" >&2; exit 2 ;;
esac
if [ -e "$pgdata" ] && [ -n "$(ls -A "$pgdata")" ]; then
  echo "restore.sh: $pgdata is not empty; restore into a new folder" >&2
  exit 1
fi
[ -f "$base/backup_label" ] || { echo "restore.sh: $base is not a base backup" >&2; exit 1; }
mkdir -p "$pgdata"
cp -a "$base/." "$pgdata/"
chmod 700 "$pgdata"
rm -f "$pgdata/postmaster.pid" "$pgdata/backup_manifest"
archive_abs=$(cd "$archive" && pwd)
{
  echo "# --- point-in-time recovery (deploy/backup/restore.sh) ---"
  echo "restore_command = 'cp \"$archive_abs/%f\" \"%p\"'"
  [ -n "$target" ] && echo "$target"
  echo "recovery_target_inclusive = off"
  echo "recovery_target_action = 'promote'"
  # The restored server does not archive into the old archive: check it, then point
  # archive_command at a fresh folder and take a new base backup.
  echo "archive_mode = off"
} >> "$pgdata/postgresql.auto.conf"
touch "$pgdata/recovery.signal"
echo "restored base backup $base into $pgdata${target:+ ($target)}; start the server to replay"
