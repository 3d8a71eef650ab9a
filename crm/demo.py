"""Demo customers for the demo tenant (`manage.py seed_demo`): Vietnamese and Chinese
customers across the branches, groups, a group company with a subsidiary, contacts,
referrals. Idempotent: what exists (by name) is left alone."""

from django.contrib.auth.models import User
from django.db.models import Q

from crm.exceptions import CrmError
from crm.models import Branch, Customer, CustomerGroup
from crm.normalize import name_key
from crm.services import contact_create, customer_create, customer_group_create

GROUPS = [("VIP", "Khách VIP"), ("SI", "Khách sỉ"), ("DL", "Đại lý")]

# (name, phone, branch, shared, group, role, salesperson username prefix, extra)
CUSTOMERS = [
    ("Nguyễn Thị Ánh", "0912 345 678", "MAIN", False, "VIP", "retail", "sales.main", {}),
    ("Trần Văn Bình", "0987 654 321", "MAIN", True, None, "retail", "sales.main", {}),
    ("Lê Thị Hồng Nhung", "0903 111 222", "MAIN", False, None, "collaborator", "sales.main",
     {"referrer_phone": "0912 345 678"}),
    ("Phạm Quốc Huy", "0938 222 333", "HN2", False, "SI", "retail", "manager", {}),
    ("Hoàng Minh Tuấn", "0945 333 444", "HN2", True, "VIP", "agent", "manager",
     {"credit_limit": "50.000.000", "credit_limit_enforced": True}),
    ("Vũ Thị Mai", "0977 444 555", "SG1", False, None, "retail", "sales.sg",
     {"referrer_phone": "0912 345 678"}),
    ("Đặng Văn Long", "0868 555 666", "SG1", False, "SI", "retail", "sales.sg", {}),
    ("Bùi Ngọc Hân", "0356 666 777", "SG1", True, None, "collaborator", "sales.sg", {}),
    ("Đỗ Thanh Sơn", "0392 777 888", "MAIN", False, "DL", "agent", "sales.main",
     {"settlement_method": "cash"}),
    ("Hồ Thị Thu Trang", "0916 888 999", "HN2", False, None, "retail", "manager",
     {"prepaid_allowed": True}),
    ("Ngô Bảo Châu", "0913 123 456", "MAIN", False, "VIP", "retail", "sales.main", {}),
    ("Dương Văn Khoa", "0914 234 567", "SG1", False, None, "retail", "sales.sg", {}),
    ("Công ty TNHH Thương mại Hòa Bình", "024 3826 1234", "MAIN", True, "SI", "agent",
     "manager", {"tax_code": "0101234567", "credit_limit": "200.000.000"}),
    ("Cửa hàng Điện máy Phú Quý", "028 3829 5678", "SG1", True, "DL", "agent", "sales.sg",
     {"tax_code": "0309876543"}),
    ("Nguyễn Văn An", "0918 345 111", "HN2", False, None, "retail", "manager", {}),
    ("Nguyễn Hữu Phước", "0919 345 222", "SG1", False, None, "retail", "sales.sg", {}),
    ("王小明", "+886 912 345 678", "MAIN", False, None, "retail", "sales.main", {}),
    ("李美玲", "+886 933 222 111", "MAIN", True, "VIP", "retail", "sales.main", {}),
    ("陳建國", "+86 138 1234 5678", "HN2", False, None, "retail", "manager", {}),
    ("林志明", "+86 139 8765 4321", "SG1", False, "SI", "collaborator", "sales.sg", {}),
    ("張麗華", "+886 955 666 777", "SG1", True, None, "retail", "sales.sg", {}),
    ("青島市海濱建築有限公司", "+86 532 8888 1234", "MAIN", True, "SI", "agent", "manager",
     {"tax_code": "91370200MA3C", "credit_limit": "100.000.000",
      "credit_limit_enforced": True}),
    ("青島市海濱建築有限公司-採購部", "+86 532 8888 5678", "MAIN", True, "SI", "agent",
     "manager", {"parent_name": "青島市海濱建築有限公司"}),
    ("上海環球電器股份有限公司", "+86 21 6321 8888", "HN2", True, "DL", "agent", "manager",
     {"settlement_method": "on_account"}),
    ("臺北市大安印刷商行", "+886 2 2700 1234", "SG1", True, None, "retail", "sales.sg", {}),
    ("高雄市港都文具工作室", "+886 7 331 2345", "SG1", False, None, "retail", "sales.sg", {}),
    ("Phan Thị Kim Liên", "0395 111 000", "MAIN", False, None, "retail", "cashier.main", {}),
    ("Huỳnh Tấn Phát", "0396 222 000", "HN2", False, None, "retail", "cashier.hn2", {}),
    ("Võ Thị Sáu", "0397 333 000", "SG1", False, "VIP", "retail", "sales.sg", {}),
    ("Lý Thường Kiệt", "0398 444 000", "MAIN", True, None, "agent", "sales.main", {}),
]

CONTACTS = {
    "Công ty TNHH Thương mại Hòa Bình": [("Chị Lan (kế toán)", "0912 000 111", "Kế toán"),
                                        ("Anh Dũng", "0912 000 222", "Mua hàng")],
    "青島市海濱建築有限公司": [("王經理", "+86 138 0000 1111", "採購經理")],
}


def crm_demo_seed(*, owner: User, email_domain: str) -> int:
    """Create the demo customers that do not exist yet; returns how many were created."""
    groups = {}
    for code, name in GROUPS:
        groups[code] = (CustomerGroup.objects.filter(Q(code=code) | Q(name=name)).first()
                        or customer_group_create(actor=owner, code=code, name=name))
    branches = {b.code: b for b in Branch.objects.all()}
    created = 0
    for name, phone, branch, shared, group, role, seller, extra in CUSTOMERS:
        if Customer.objects.filter(name_key=name_key(name)).exists():
            continue
        extra = dict(extra)
        parent_name = extra.pop("parent_name", None)
        if parent_name:
            extra["parent"] = Customer.objects.filter(name_key=name_key(parent_name)).first()
        salesperson = User.objects.filter(username=f"{seller}@{email_domain}").first() or owner
        try:
            customer = customer_create(
                actor=owner, name=name, phone=phone, home_branch=branches.get(branch),
                shared=shared, group=groups.get(group), role=role, owner=salesperson, **extra)
        except CrmError:
            continue  # the demo data was edited (a phone reused, ...): keep the user's version
        for contact_name, contact_phone, position in CONTACTS.get(name, []):
            contact_create(actor=owner, customer=customer, name=contact_name,
                           phone=contact_phone, position=position)
        created += 1
    return created
