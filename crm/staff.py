"""Services for the people and places of a tenant: branches and staff users."""

from collections.abc import Sequence

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import IntegrityError, transaction

from crm.exceptions import BranchCodeTaken
from crm.models import Branch, StaffBranch
from crm.roles import ROLES

MAIN_BRANCH_CODE = "MAIN"


@transaction.atomic
def branch_create(*, code: str, name: str, address: str = "", phone: str = "") -> Branch:
    """A branch; its code (upper case, printed on documents) is the tenant's only one."""
    code = code.strip().upper()
    if Branch.objects.filter(code=code).exists():
        raise BranchCodeTaken(code)
    try:
        with transaction.atomic():  # a concurrent create of the same code loses here
            return Branch.objects.create(code=code, name=name.strip(), address=address,
                                         phone=phone)
    except IntegrityError:
        raise BranchCodeTaken(code) from None


@transaction.atomic
def staff_create(
    *,
    username: str,
    email: str = "",
    password: str | None = None,
    password_hash: str | None = None,
    roles: Sequence[str],
    branches: Sequence[Branch],
    first_name: str = "",
    last_name: str = "",
) -> User:
    """A staff user with roles and branches; the first branch given is the primary one.

    Pass `password_hash` when the hash was computed earlier (signup hashes before it opens
    its transaction, so the slow Argon2 work holds no lock).
    """
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"Unknown roles: {sorted(unknown)}")
    if password_hash is None:
        password_hash = make_password(password)  # None gives an unusable password
    user = User(username=username, email=email, password=password_hash,
                first_name=first_name, last_name=last_name)
    user.save()
    user.groups.set(Group.objects.filter(name__in=roles))
    StaffBranch.objects.bulk_create(
        StaffBranch(user=user, branch=branch, primary=(i == 0))
        for i, branch in enumerate(branches)
    )
    return user


def staff_roles(user: User) -> list[str]:
    names = {g.name for g in user.groups.all()}
    return [role for role in ROLES if role in names]


def staff_primary_branch(user: User) -> Branch | None:
    link = StaffBranch.objects.filter(user=user, primary=True).select_related("branch").first()
    return link.branch if link else None


@transaction.atomic
def branch_update(*, branch: Branch, **fields) -> Branch:
    """Change name, address, phone or active (the code stays: documents print it)."""
    for name in ("name", "address", "phone"):
        if name in fields:
            setattr(branch, name, str(fields[name] or "").strip())
    if "active" in fields:
        branch.active = bool(fields["active"])
    branch.save()
    return branch
