from django.core.management.base import BaseCommand

from tenants.provisioning import signup_pool_fill, signup_pool_size


class Command(BaseCommand):
    help = "Build the template schema if needed and fill the signup pool."

    def add_arguments(self, parser):
        parser.add_argument("--target", type=int, default=None)

    def handle(self, *args, target=None, **options):
        built = signup_pool_fill(target=target)
        self.stdout.write(f"signup pool: built {built}, now {signup_pool_size()} ready")
