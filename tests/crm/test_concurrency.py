import threading

from django.contrib.auth.models import User
from django.db import connection, connections

from crm.exceptions import CustomerNameTaken, CustomerPhoneTaken
from crm.models import Customer
from crm.services import customer_create


def test_concurrent_creates_of_one_customer_give_one_row_and_a_clear_error(committed_tenant):
    barrier = threading.Barrier(2)
    outcomes = []

    def create(phone):
        try:
            connection.set_tenant(committed_tenant)
            owner = User.objects.get(username=f"owner@{committed_tenant.subdomain}.test")
            barrier.wait()
            customer_create(actor=owner, name="Nguyễn Văn Song Song", phone=phone)
            outcomes.append("created")
        except (CustomerNameTaken, CustomerPhoneTaken) as exc:
            outcomes.append(type(exc).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create, args=(p,)) for p in ("0912111001", "0912111002")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["CustomerNameTaken", "created"]
    connection.set_tenant(committed_tenant)
    assert Customer.objects.filter(name="Nguyễn Văn Song Song").count() == 1
