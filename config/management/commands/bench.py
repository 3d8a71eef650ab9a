"""`manage.py bench <name>`: the benchmarks of DESIGN §4. `bench all` runs every one.

Each benchmark module has `add_arguments(parser)` and `run(stdout, **options)`, prints a
table of its figures next to anchors measured in the same run, and cleans up after itself.
"""

import importlib

from django.core.management import call_command
from django.core.management.base import BaseCommand

BENCHMARKS = {
    "onboarding": "bench.onboarding",
    "migrate": "bench.migrate",
    "search": "bench.search",
    "posting": "bench.posting",
    "import": "bench.customer_import",
    "export": "bench.customer_export",
    "statements": "bench.statements",
    "pages": "bench.pages",
}


class Command(BaseCommand):
    help = "Run a benchmark (or `all`) and print its table."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="benchmark", required=True)
        sub.add_parser("all")
        for name, path in BENCHMARKS.items():
            importlib.import_module(path).add_arguments(sub.add_parser(name))

    def handle(self, *args, benchmark, **options):
        options.pop("stdout", None)  # given by call_command; the table goes to self.stdout
        options.pop("stderr", None)
        # A fresh data folder (or new code) is brought up to date first, as `make run`
        # does: the benchmarks build their scratch tenants from the template.
        call_command("migrate_schemas", interactive=False, verbosity=0)
        call_command("platform_bootstrap")
        names = list(BENCHMARKS) if benchmark == "all" else [benchmark]
        for name in names:
            module = importlib.import_module(BENCHMARKS[name])
            defaults = {}
            if benchmark == "all":
                parser = self.create_parser("manage.py", "bench")
                defaults = vars(parser.parse_args([name]))
            module.run(self.stdout, **{**defaults, **options})
