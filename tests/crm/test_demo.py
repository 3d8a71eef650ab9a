from crm.demo import CUSTOMERS, crm_demo_seed
from crm.models import Customer
from crm.staff import branch_create
from tests.crm.factories import user


def test_demo_customers_are_created_once(in_acme):
    owner = user("owner")
    branch_create(code="HN2", name="Cầu Giấy")
    branch_create(code="SG1", name="Quận 1")
    assert crm_demo_seed(owner=owner, email_domain="acme.test") == len(CUSTOMERS)
    assert crm_demo_seed(owner=owner, email_domain="acme.test") == 0
    sub = Customer.objects.get(name="青島市海濱建築有限公司-採購部")
    assert sub.parent.name == "青島市海濱建築有限公司"
    assert Customer.objects.get(name="Vũ Thị Mai").referrer.name == "Nguyễn Thị Ánh"
    homes = {c.home_branch.code for c in Customer.objects.filter(
        name__in=[c[0] for c in CUSTOMERS])}
    assert homes == {"MAIN", "HN2", "SG1"}
