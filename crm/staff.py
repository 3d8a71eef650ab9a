"""Services for the people and places of a tenant: branches and staff users (invite,
roles, branches, granted permissions, deactivate)."""

from collections.abc import Sequence

from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission, User
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.exceptions import BranchCodeTaken, StaffFieldsInvalid, StaffForbidden, StaffRuleBroken
from crm.models import Branch, StaffBranch
from crm.roles import GRANTABLE_PERMISSIONS, OWNER, ROLES

MAIN_BRANCH_CODE = "MAIN"


def _branch_fields_check(**fields) -> None:
    errors = {}
    for name, max_length in (("code", 20), ("name", 200)):
        if name in fields:
            value = str(fields[name] or "").strip()
            if not value:
                errors[name] = [_("This field is required.")]
            elif len(value) > max_length:
                errors[name] = [_("At most %(count)d characters.") % {"count": max_length}]
    if errors:
        raise StaffFieldsInvalid(errors)


@transaction.atomic
def branch_create(*, code: str, name: str, address: str = "", phone: str = "") -> Branch:
    """A branch; its code (upper case, printed on documents) is the tenant's only one."""
    code = str(code or "").strip().upper()
    _branch_fields_check(code=code, name=name)
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
    if "name" in fields:
        _branch_fields_check(name=fields["name"])
    for name in ("name", "address", "phone"):
        if name in fields:
            setattr(branch, name, str(fields[name] or "").strip())
    if "active" in fields:
        branch.active = bool(fields["active"])
    branch.save()
    return branch


# --- staff management (DESIGN §3: users are the owner's; same rules for API and web) ----

def _staff_manage_check(actor: User) -> None:
    if not actor.has_perm("auth.change_user"):
        raise StaffForbidden(_("You may not manage users."))


def _clean_staff(*, roles, branches, primary_branch, permissions, partial: bool) -> dict:
    """Roles, branches (ids or rows), the primary one and grantable permissions, checked
    together; StaffFieldsInvalid naming each bad field."""
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    if roles is not None or not partial:
        roles = [str(r) for r in (roles or [])]
        if not roles:
            errors["roles"] = [_("Choose at least one role.")]
        elif set(roles) - set(ROLES):
            errors["roles"] = [_("Unknown role: %(roles)s.")
                               % {"roles": ", ".join(sorted(set(roles) - set(ROLES)))}]
        else:
            cleaned["roles"] = [r for r in ROLES if r in roles]
    if branches is not None or not partial:
        ids = []
        for branch in branches or []:
            try:
                ids.append(int(getattr(branch, "pk", branch)))
            except (TypeError, ValueError):
                errors["branches"] = [_("Unknown branch.")]
        found = {b.pk: b for b in Branch.objects.filter(pk__in=ids, active=True)}
        if "branches" in errors:
            pass
        elif not ids:
            errors["branches"] = [_("Choose at least one active branch.")]
        elif len(found) != len(set(ids)):
            errors["branches"] = [_("Unknown branch.")]
        else:
            cleaned["branches"] = [found[i] for i in dict.fromkeys(ids)]
    if primary_branch is not None:
        try:
            primary_id = int(getattr(primary_branch, "pk", primary_branch))
        except (TypeError, ValueError):
            primary_id = None
        chosen = cleaned.get("branches")
        if chosen is not None and primary_id not in {b.pk for b in chosen}:
            errors["primary_branch"] = [_("The primary branch must be one of the branches.")]
        else:
            cleaned["primary_branch"] = primary_id
    if permissions is not None:
        unknown = set(permissions) - set(GRANTABLE_PERMISSIONS)
        if unknown:
            errors["permissions"] = [_("Unknown permission: %(names)s.")
                                     % {"names": ", ".join(sorted(unknown))}]
        else:
            cleaned["permissions"] = sorted(set(permissions))
    if errors:
        raise StaffFieldsInvalid(errors)
    return cleaned


def _permissions_set(user: User, names) -> None:
    wanted = [name.split(".", 1) for name in names]
    query = Q(pk__in=[])
    for app_label, codename in wanted:
        query |= Q(content_type__app_label=app_label, codename=codename)
    user.user_permissions.set(Permission.objects.filter(query))


def _branches_set(user: User, branches: Sequence[Branch], primary_id: int | None) -> None:
    primary_id = primary_id if primary_id is not None else branches[0].pk
    StaffBranch.objects.filter(user=user).delete()
    StaffBranch.objects.bulk_create(
        StaffBranch(user=user, branch=branch, primary=branch.pk == primary_id)
        for branch in branches)


def _owners_left_check(user: User, *, roles=None, active=True) -> None:
    """The tenant keeps at least one active owner."""
    stays_owner = active and (roles is None or OWNER in roles)
    if stays_owner or not user.groups.filter(name=OWNER).exists():
        return
    others = User.objects.filter(is_active=True, groups__name=OWNER).exclude(pk=user.pk)
    if not others.exists():
        raise StaffRuleBroken(_("The business must keep at least one active owner."))


@transaction.atomic
def staff_invite(*, actor: User, email: str, roles: Sequence[str], branches: Sequence,
                 primary_branch=None, permissions: Sequence[str] = (), first_name: str = "",
                 last_name: str = "") -> User:
    """A new staff user with no usable password: they choose it through the one-time link
    that is e-mailed to them after commit (crm.passwords). Nobody else ever knows it."""
    from crm.passwords import password_link_send

    _staff_manage_check(actor)
    email = str(email or "").strip().lower()
    errors: dict[str, list[str]] = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Enter a valid e-mail address.")]
    else:
        if User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists():
            errors["email"] = [_("A user with this e-mail already exists.")]
    try:
        cleaned = _clean_staff(roles=roles, branches=branches, primary_branch=primary_branch,
                               permissions=permissions, partial=False)
    except StaffFieldsInvalid as error:
        errors.update(error.fields)
    if errors:
        raise StaffFieldsInvalid(errors)
    branches = cleaned["branches"]
    primary = cleaned.get("primary_branch") or branches[0].pk
    ordered = sorted(branches, key=lambda b: b.pk != primary)
    try:
        with transaction.atomic():
            user = staff_create(username=email, email=email, roles=cleaned["roles"],
                                branches=ordered, first_name=str(first_name or "")[:150],
                                last_name=str(last_name or "")[:150])
    except IntegrityError:  # a concurrent invite of the same e-mail
        raise StaffFieldsInvalid({"email": [_("A user with this e-mail already exists.")]}
                                 ) from None
    _permissions_set(user, cleaned["permissions"])
    password_link_send(user=user, purpose="invite")
    return user


@transaction.atomic
def staff_update(*, actor: User, user: User, roles=None, branches=None, primary_branch=None,
                 permissions=None, first_name=None, last_name=None) -> User:
    """Change roles, branches and the primary one, granted permissions, names."""
    _staff_manage_check(actor)
    user = User.objects.select_for_update().get(pk=user.pk)
    if branches is None and primary_branch is not None:
        branches = list(StaffBranch.objects.filter(user=user).values_list("branch_id",
                                                                         flat=True))
    cleaned = _clean_staff(roles=roles, branches=branches, primary_branch=primary_branch,
                           permissions=permissions, partial=True)
    if "roles" in cleaned:
        if user.pk == actor.pk and OWNER not in cleaned["roles"]:
            raise StaffRuleBroken(_("You cannot take the owner role from yourself."))
        _owners_left_check(user, roles=cleaned["roles"])
        user.groups.set(Group.objects.filter(name__in=cleaned["roles"]))
    if "branches" in cleaned:
        _branches_set(user, cleaned["branches"], cleaned.get("primary_branch"))
    if "permissions" in cleaned:
        _permissions_set(user, cleaned["permissions"])
    for name, value in (("first_name", first_name), ("last_name", last_name)):
        if value is not None:
            setattr(user, name, str(value).strip()[:150])
    user.save()
    return user


def _sessions_end(user: User) -> int:
    """Delete the user's sessions (this schema's session table holds only this tenant's)."""
    ended = [s.pk for s in Session.objects.filter(expire_date__gt=timezone.now())
             if s.get_decoded().get(SESSION_KEY) == str(user.pk)]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


@transaction.atomic
def staff_deactivate(*, actor: User, user: User) -> User:
    """The user can no longer log in; their sessions and API tokens end at once."""
    from crm.tokens import user_tokens_revoke

    _staff_manage_check(actor)
    if user.pk == actor.pk:
        raise StaffRuleBroken(_("You cannot deactivate yourself."))
    user = User.objects.select_for_update().get(pk=user.pk)
    _owners_left_check(user, active=False)
    user.is_active = False
    user.save(update_fields=["is_active"])
    user_tokens_revoke(user=user)
    _sessions_end(user)
    return user


@transaction.atomic
def staff_reactivate(*, actor: User, user: User) -> User:
    _staff_manage_check(actor)
    user = User.objects.select_for_update().get(pk=user.pk)
    user.is_active = True
    user.save(update_fields=["is_active"])
    return user


def staff_invite_resend(*, actor: User, user: User) -> None:
    """A new invite link for a user who has not chosen a password yet."""
    from crm.passwords import password_link_send

    _staff_manage_check(actor)
    if user.has_usable_password() or not user.is_active:
        raise StaffRuleBroken(_("This user has already chosen a password."))
    password_link_send(user=user, purpose="invite")


# --- staff reads ------------------------------------------------------------------------

def staff_list(*, actor: User):
    """The tenant's staff users, for those who may see them (auth.view_user)."""
    if not actor.has_perm("auth.view_user"):
        raise StaffForbidden(_("You may not see the users."))
    return (User.objects.order_by("-is_active", "username")
            .prefetch_related("groups", "user_permissions__content_type",
                              "staffbranch_set__branch"))


def staff_get(*, actor: User, user_id) -> User:
    """One staff user (User.DoesNotExist: the API's 404)."""
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        raise User.DoesNotExist from None
    return staff_list(actor=actor).get(pk=pk)


def staff_profile(user: User) -> dict:
    """What the users screen and the API show of a staff user (prefetched by staff_list)."""
    names = {g.name for g in user.groups.all()}
    links = sorted(user.staffbranch_set.all(), key=lambda s: (not s.primary, s.branch.code))
    granted = {f"{p.content_type.app_label}.{p.codename}" for p in user.user_permissions.all()}
    return {
        "id": user.pk, "username": user.username, "email": user.email,
        "first_name": user.first_name, "last_name": user.last_name,
        "roles": [role for role in ROLES if role in names],
        "branches": [{"id": s.branch_id, "code": s.branch.code, "name": s.branch.name,
                      "primary": s.primary} for s in links],
        "primary_branch": next((s.branch_id for s in links if s.primary), None),
        "permissions": [name for name in GRANTABLE_PERMISSIONS if name in granted],
        "is_active": user.is_active,
        "invite_pending": not user.has_usable_password(),
        "last_login": user.last_login, "date_joined": user.date_joined,
    }
