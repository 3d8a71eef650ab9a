import atexit
import os
from pathlib import Path

from django.core.checks import Tags
from django.core.management.base import BaseCommand, CommandError

from tenants.fleet_migrations import tenants_migrate
from tenants.fleet_worker import exit_quickly


class Command(BaseCommand):
    help = ("Migrate public, the template (and its cached DDL), a few canaries, then every "
            "other tenant schema in parallel; resumable, one failing tenant skipped.")
    # The checks that bear on migrating: the models and the database. Not the URL
    # configuration's, which imports every view (about half a second of each run).
    requires_system_checks = [Tags.models, Tags.database]

    def add_arguments(self, parser):
        parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1),
                            help="worker processes for the fan-out (default: cores, at most 4)")
        parser.add_argument("--canaries", type=int, default=3,
                            help="schemas migrated one at a time before the fan-out")
        parser.add_argument("--schemas-file", type=Path, default=None,
                            help="only these tenant schemas (one a line); public and the "
                                 "template are left alone")

    def handle(self, *args, jobs, canaries, schemas_file, **options):
        atexit.register(exit_quickly)
        schemas = None
        if schemas_file is not None:
            schemas = [line.strip() for line in schemas_file.read_text().splitlines()
                       if line.strip()]

        def write(line):
            self.stdout.write(line)
            self.stdout.flush()

        try:
            report = tenants_migrate(jobs=jobs, canaries=canaries, schemas=schemas,
                                     write=write)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        write(f"[migrate_tenants] run {report.run_id or '-'}: {report.done} of {report.todo} "
              f"migrated in {report.seconds:.1f} s, {len(report.failed)} failed, "
              f"{len(report.missing)} missing")
        for schema, error in sorted(report.failed.items()):
            write(f"  failed {schema}: {error.splitlines()[0] if error else ''}")
        if report.interrupted:
            raise CommandError("interrupted; run migrate_tenants again to resume",
                               returncode=3)
        if report.stopped_by_canary:
            raise CommandError("a canary failed; nothing else was migrated", returncode=2)
        if report.failed:
            raise CommandError(f"{len(report.failed)} tenant schemas failed to migrate "
                               "(recorded; run again to retry them)")
