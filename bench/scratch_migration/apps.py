from django.apps import AppConfig


class ScratchMigrationConfig(AppConfig):
    name = "bench.scratch_migration"
    label = "bench_scratch_migration"
