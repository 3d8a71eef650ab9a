"""`manage.py bench export --rows 100000` (filled in below)."""


def add_arguments(parser):
    parser.add_argument("--rows", type=int, default=100_000)


def run(stdout, **options):
    raise NotImplementedError
