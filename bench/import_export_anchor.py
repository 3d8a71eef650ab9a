"""The django-import-export anchor of `bench import`: the same kind of workbook imported
with that library's ModelResources (its default row-by-row mode), rolled back. Only a
benchmark extra (`pip install -e '.[bench]'`); absent, the anchor says so."""

import time

from django.db import transaction

from bench.workbooks import workbook_generate
from exchange.columns import CONTACT_TEMPLATE_COLUMNS, CUSTOMER_TEMPLATE_COLUMNS


def import_export_seconds(workdir, rows: int, user, start: int) -> float | None:
    """Seconds for `rows` customers + `rows` contacts, or None when not installed."""
    try:
        import tablib
        from import_export import fields, resources, widgets
    except ImportError:
        return None
    from crm.models import Branch, Contact, Customer, CustomerGroup
    from crm.normalize import name_key, phone_normalize
    from tenants.current import tenant_current

    region = tenant_current().region
    branch = Branch.objects.get(code="MAIN")

    class CustomerResource(resources.ModelResource):
        group = fields.Field(attribute="group", column_name="group",
                             widget=widgets.ForeignKeyWidget(CustomerGroup, field="name"))

        class Meta:
            model = Customer
            fields = ("code", "name", "phone", "email", "address", "group", "tax_code", "note")
            import_id_fields = ("code",)

        def before_save_instance(self, instance, row, **kwargs):
            # What the template's rules need at least: the name key, an E.164 phone,
            # a home branch and an owner.
            instance.name_key = name_key(instance.name)
            instance.phone = phone_normalize(instance.phone, region)
            instance.home_branch, instance.owner = branch, user
            for name in ("email", "address", "tax_code", "note"):  # blank cells are None
                setattr(instance, name, getattr(instance, name) or "")

    class ContactResource(resources.ModelResource):
        customer = fields.Field(attribute="customer", column_name="customer_code",
                                widget=widgets.ForeignKeyWidget(Customer, field="code"))

        class Meta:
            model = Contact
            fields = ("customer", "name", "phone", "email", "position")
            import_id_fields = ("customer", "name")  # a re-import updates, as ours does

        def before_save_instance(self, instance, row, **kwargs):
            instance.phone = phone_normalize(instance.phone, region)
            instance.email = instance.email or ""

    path = workdir / "import-export.xlsx"
    workbook_generate(path, rows, start)
    started = time.perf_counter()
    try:
        with transaction.atomic():
            book = tablib.Databook()
            with open(path, "rb") as f:
                book.load(f.read(), "xlsx")
            customers, contacts = book.sheets()
            customers.headers = [c.key for c in CUSTOMER_TEMPLATE_COLUMNS]
            contacts.headers = [c.key for c in CONTACT_TEMPLATE_COLUMNS]
            for name in set(customers["group"]):
                CustomerGroup.objects.get_or_create(name=name, defaults={"code": name[:32]})
            for resource, data in ((CustomerResource(), customers),
                                   (ContactResource(), contacts)):
                result = resource.import_data(data, dry_run=False, raise_errors=True,
                                              use_transactions=False)
                assert not result.has_errors() and not result.has_validation_errors()
            raise _Rollback(time.perf_counter() - started)
    except _Rollback as done:
        return done.elapsed


class _Rollback(Exception):
    def __init__(self, elapsed):
        self.elapsed = elapsed
