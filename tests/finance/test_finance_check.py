from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from crm.models import Customer
from finance.orders import order_create
from tests.finance.factories import customer_make, lines, product_make, user


@pytest.mark.breaks_money_invariants
def test_finance_check_finds_a_balance_that_is_not_its_entries(acme_schema):
    customer = customer_make()
    order_create(actor=user("owner@acme.test"), customer=customer,
                 lines=lines(product_make("70000")), approve=True)
    out = StringIO()
    call_command("finance_check", schema=acme_schema.schema_name, stdout=out)
    assert out.getvalue().startswith("OK")
    Customer.objects.filter(pk=customer.pk).update(receivable_amount=Decimal("1"))
    out = StringIO()
    with pytest.raises(CommandError, match="1 balances differ"):
        call_command("finance_check", schema=acme_schema.schema_name, stdout=out)
    assert f"customer {customer.code} receivable" in out.getvalue()
