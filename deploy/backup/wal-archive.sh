#!/usr/bin/env bash
# archive_command: copy one finished WAL segment into the archive, never overwriting a
# different file (PostgreSQL retries a failed archive_command; an identical copy is success).
#   archive_command = '/opt/chainledger/deploy/backup/wal-archive.sh "%p" "%f" /var/backups/chainledger/wal'
set -euo pipefail
source_path=$1 name=$2 archive=$3
target="$archive/$name"
if [ -e "$target" ]; then
  cmp -s "$source_path" "$target" && exit 0
  echo "wal-archive: $target exists with other content; refusing to overwrite" >&2
  exit 1
fi
mkdir -p "$archive"
# Copy under a temporary name, flush it, then rename: the archive never holds half a segment.
cp "$source_path" "$archive/.$name.partial"
sync "$archive/.$name.partial"
mv "$archive/.$name.partial" "$target"
