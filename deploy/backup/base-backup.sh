#!/usr/bin/env bash
# A base backup of the whole cluster (every tenant schema, public, roles' data), checked with
# pg_verifybackup; keeps the newest $BACKUP_KEEP (default 7) and prunes WAL older than the
# oldest kept backup. WAL archiving (wal-archive.sh) fills the gaps between base backups.
#   DATABASE_URL=postgresql://... deploy/backup/base-backup.sh /var/backups/chainledger
# PG_BIN_DIR: folder of pg_basebackup and friends (default: the PATH). They must be the
# server's major version.
set -euo pipefail
root=${1:?usage: base-backup.sh BACKUP_ROOT}
bin=${PG_BIN_DIR:+$PG_BIN_DIR/}
keep=${BACKUP_KEEP:-7}
: "${DATABASE_URL:?set DATABASE_URL (a superuser or a role with REPLICATION)}"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
target="$root/base/$stamp"
mkdir -p "$root/base"
# Plain format, WAL streamed alongside: the backup is consistent on its own, and restores by
# copying the folder.
"${bin}pg_basebackup" --dbname "$DATABASE_URL" --pgdata "$target.partial" --format plain \
  --wal-method stream --checkpoint fast --label "chainledger $stamp" --no-password
"${bin}pg_verifybackup" --quiet "$target.partial"
mv "$target.partial" "$target"
echo "base backup: $target"

# Retention: the newest $keep base backups, and only the WAL the oldest of them needs.
mapfile -t backups < <(find "$root/base" -mindepth 1 -maxdepth 1 -type d -name '2*' \
                         ! -name '*.partial' | sort)
while [ "${#backups[@]}" -gt "$keep" ]; do
  rm -rf "${backups[0]}"
  echo "removed old base backup ${backups[0]}"
  backups=("${backups[@]:1}")
done
oldest=${backups[0]}
if [ -d "$root/wal" ]; then
  first_wal=$(sed -n 's/^START WAL LOCATION: .* (file \([0-9A-F]*\))$/\1/p' "$oldest/backup_label")
  [ -n "$first_wal" ] && "${bin}pg_archivecleanup" "$root/wal" "$first_wal"
fi
