"""The demo tenant `demo`: users of every role, branches. Idempotent.

Passwords are generated on first run and kept in DATA_DIR/demo-logins.json (per install,
never fixed in the code); later runs reuse them.
"""

import json
import secrets

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import transaction
from django_tenants.utils import schema_context, schema_exists

from crm.models import Branch
from crm.roles import ACCOUNTANT, CASHIER, MANAGER, SALESPERSON
from crm.staff import MAIN_BRANCH_CODE, branch_create, staff_create
from tenants.models import Tenant
from tenants.services import tenant_create, tenant_url

DEMO_SUBDOMAIN = "demo"
EMAIL_DOMAIN = "demo.example"
BRANCHES = [("HN2", "Chi nhánh Cầu Giấy", "Hà Nội"), ("SG1", "Chi nhánh Quận 1", "TP. Hồ Chí Minh")]
# (username, role, branch codes: the first is primary)
STAFF = [
    ("manager", MANAGER, ["MAIN", "HN2"]),
    ("accountant", ACCOUNTANT, ["MAIN", "HN2", "SG1"]),
    ("sales.main", SALESPERSON, ["MAIN"]),
    ("sales.sg", SALESPERSON, ["SG1"]),
    ("cashier.main", CASHIER, ["MAIN"]),
    ("cashier.hn2", CASHIER, ["HN2"]),
]


def _password() -> str:
    return secrets.token_urlsafe(12)


class Command(BaseCommand):
    help = "Create (or complete) the demo tenant and print its logins."

    def handle(self, *args, **options):
        logins_path = settings.DATA_DIR / "demo-logins.json"
        logins = json.loads(logins_path.read_text()) if logins_path.exists() else {}
        owner = f"owner@{EMAIL_DOMAIN}"

        tenant = Tenant.objects.filter(subdomain=DEMO_SUBDOMAIN).first()
        if tenant is None:
            logins[owner] = logins.get(owner) or _password()
            tenant = tenant_create(business_name="Cửa hàng Demo", subdomain=DEMO_SUBDOMAIN,
                                   owner_email=owner, owner_password=logins[owner],
                                   currency="VND", locale="vi")
        elif not schema_exists(tenant.schema_name):
            # Its data is gone; seeding an empty schema would hide that. Report and go on.
            self.stderr.write(f"WARNING: the demo tenant's schema {tenant.schema_name!r} does "
                              "not exist (its tenant row remains); the demo is not seeded.")
            return

        with schema_context(tenant.schema_name), transaction.atomic():
            for code, name, address in BRANCHES:
                if not Branch.objects.filter(code=code).exists():
                    branch_create(code=code, name=name, address=address)
            for username, role, codes in STAFF:
                email = f"{username}@{EMAIL_DOMAIN}"
                user = User.objects.filter(username=email).first()
                if user is None:
                    logins[email] = logins.get(email) or _password()
                    branches = sorted(Branch.objects.filter(code__in=codes),
                                      key=lambda b: codes.index(b.code))
                    staff_create(username=email, email=email, password=logins[email],
                                 roles=[role], branches=branches)
                elif email not in logins:
                    logins[email] = _password()
                    user.set_password(logins[email])
                    user.save(update_fields=["password"])
            owner_user = User.objects.get(username=owner)
            if owner not in logins:
                logins[owner] = _password()
                owner_user.set_password(logins[owner])
                owner_user.save(update_fields=["password"])
            self._seed_more(owner_user)

        logins_path.write_text(json.dumps(logins, indent=2, ensure_ascii=False))
        logins_path.chmod(0o600)
        self.stdout.write(f"Demo tenant: {tenant_url(tenant)}  (main branch {MAIN_BRANCH_CODE})")
        for username, password in sorted(logins.items()):
            self.stdout.write(f"  {username:32} {password}")

    def _seed_more(self, owner_user):
        """The CRM and finance demo data (customers; products, orders, payments), idempotent."""
        from crm.demo import crm_demo_seed
        from finance.demo import demo_seed as finance_demo_seed

        created = crm_demo_seed(owner=owner_user, email_domain=EMAIL_DOMAIN)
        self.stdout.write(f"Demo customers created: {created}")
        finance_demo_seed()
