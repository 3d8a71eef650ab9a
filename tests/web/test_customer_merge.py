"""Merge from the customer page: the preview (what moves, what stays), the confirmation
(once per token), the result; who may."""

import uuid
from decimal import Decimal

from django.db import connection

from crm.models import Contact, Customer
from crm.staff import staff_update
from finance.vouchers import opening_balance_set
from tests.crm.factories import customer, user
from tests.web.conftest import english, web_client


def _pair(acme):
    connection.set_tenant(acme)
    source = customer(name="Nguyễn Văn Trùng")
    target = customer(name="Nguyễn Văn Trùng (chính)")
    Contact.objects.create(customer=source, name="Chị Hoa", phone="0912000999")
    opening_balance_set(customer=source, amount=Decimal("250000"), actor=user("owner"))
    connection.set_schema_to_public()
    return source, target


def test_the_customer_page_offers_merge_to_those_who_may(acme, owner):
    source, _target = _pair(acme)
    assert f'href="/customers/{source.pk}/merge"' in owner.get(
        f"/customers/{source.pk}/").content.decode()
    cashier_like = web_client(acme, "sales@acme.test")
    connection.set_tenant(acme)
    Customer.objects.filter(pk=source.pk).update(owner=user("sales"))
    connection.set_schema_to_public()
    assert 'id="merge"' not in cashier_like.get(f"/customers/{source.pk}/").content.decode()
    assert cashier_like.get(f"/customers/{source.pk}/merge").status_code == 403


def test_preview_then_merge_then_the_result(acme, owner):
    source, target = _pair(acme)
    page = owner.get(f"/customers/{source.pk}/merge?target={target.code}")
    html = page.content.decode()
    assert page.status_code == 200 and 'id="merge-preview"' in html
    assert "250,000" in html and "Stays with" in html and 'id="merge-confirm"' in html
    token = str(uuid.uuid4())
    done = owner.post(f"/customers/{source.pk}/merge", {"target": target.code, "token": token})
    assert done.status_code == 302 and done.url == f"/customers/{source.pk}/merge/result"
    again = owner.post(f"/customers/{source.pk}/merge", {"target": target.code,
                                                         "token": token})
    assert again.status_code in (302, 403)  # the merged record may not be merged again
    result = owner.get(done.url).content.decode()
    assert 'id="merge-result"' in result and f'href="/customers/{target.pk}/"' in result
    connection.set_tenant(acme)
    merged, survivor = Customer.objects.get(pk=source.pk), Customer.objects.get(pk=target.pk)
    assert (merged.status, merged.merged_into_id) == ("inactive", target.pk)
    assert survivor.receivable_amount == Decimal("250000")
    assert Contact.objects.filter(customer=survivor, name="Chị Hoa").exists()
    connection.set_schema_to_public()


def test_an_unknown_code_and_a_conflict_are_shown_and_nothing_moves(acme, owner):
    source, _target = _pair(acme)
    unknown = owner.get(f"/customers/{source.pk}/merge?target=NOPE")
    assert unknown.status_code == 422 and "No customer you can see has this code." in \
        unknown.content.decode()
    itself = owner.get(f"/customers/{source.pk}/merge?target={source.code}").content.decode()
    assert 'id="merge-conflicts"' in itself and 'id="merge-confirm"' not in itself
    refused = owner.post(f"/customers/{source.pk}/merge", {"target": source.code,
                                                           "token": str(uuid.uuid4())})
    assert refused.status_code == 409
    connection.set_tenant(acme)
    assert Customer.objects.get(pk=source.pk).status == "active"
    connection.set_schema_to_public()


def test_a_customer_another_branch_cannot_see_is_no_merge_target(acme):
    connection.set_tenant(acme)
    from crm.models import Branch

    hidden = customer(name="Khách B2 riêng", home_branch=Branch.objects.get(code="B2").pk)
    mine = customer(actor=user("sales"), name="Khách của Sales")
    staff_update(actor=user("owner"), user=user("sales"), permissions=["crm.merge_customer"])
    connection.set_schema_to_public()
    sales = english(web_client(acme, "sales@acme.test"))
    page = sales.get(f"/customers/{mine.pk}/merge?target={hidden.code}")
    assert page.status_code == 422 and "No customer you can see has this code." in \
        page.content.decode()
    assert hidden.name not in page.content.decode()
