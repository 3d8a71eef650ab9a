"""The tenant's letterhead logo (statements): one PNG or JPEG, checked by decoding it,
kept under MEDIA_ROOT/letterhead/<schema>/ (the tenant's files area: tenant_delete
removes it) and named on the tenant row."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from tenants.current import tenant_current_forget
from tenants.exceptions import TenantFieldsInvalid
from tenants.models import Tenant

AREA = "letterhead"
MAX_LOGO_BYTES = 512 * 1024
MAX_LOGO_PIXELS = 2000  # per side: a letterhead logo, not a photograph
_FORMATS = {"PNG": "png", "JPEG": "jpg"}


def _refused(message: str) -> TenantFieldsInvalid:
    return TenantFieldsInvalid({"logo": [message]})


def logo_check(content: bytes) -> str:
    """The file extension of a valid logo; TenantFieldsInvalid naming `logo` otherwise."""
    from PIL import Image, UnidentifiedImageError

    if not content:
        raise _refused(_("Choose an image file."))
    if len(content) > MAX_LOGO_BYTES:
        raise _refused(_("The logo may be at most %(kb)s KB.") % {"kb": MAX_LOGO_BYTES // 1024})
    try:
        with Image.open(io.BytesIO(content)) as image:
            kind, (width, height) = image.format, image.size
            if kind in _FORMATS and width <= MAX_LOGO_PIXELS and height <= MAX_LOGO_PIXELS:
                image.load()  # decodes it: a truncated or corrupt file fails here
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise _refused(_("The logo must be a PNG or JPEG image.")) from None
    if kind not in _FORMATS:
        raise _refused(_("The logo must be a PNG or JPEG image."))
    if width > MAX_LOGO_PIXELS or height > MAX_LOGO_PIXELS:
        raise _refused(_("The logo may be at most %(px)s × %(px)s pixels.")
                       % {"px": MAX_LOGO_PIXELS})
    return _FORMATS[kind]


def logo_file(logo_path: str, schema_name: str) -> Path | None:
    """The logo's file if it is this tenant's and exists; never another tenant's."""
    if not logo_path:
        return None
    media = Path(settings.MEDIA_ROOT)
    path = (media / logo_path).resolve()
    if (media / AREA / schema_name).resolve() not in path.parents or not path.is_file():
        return None
    return path


@transaction.atomic
def tenant_logo_set(*, tenant: Tenant, content: bytes | None) -> Tenant:
    """Replace the tenant's logo (None removes it); the old file goes after commit."""
    extension = logo_check(content) if content is not None else None
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    old = logo_file(tenant.logo_path, tenant.schema_name)
    if extension is None:
        tenant.logo_path = ""
    else:
        relative = f"{AREA}/{tenant.schema_name}/logo-{secrets.token_hex(8)}.{extension}"
        path = Path(settings.MEDIA_ROOT) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        tenant.logo_path = relative
    tenant.save(update_fields=["logo_path"])
    tenant_current_forget()
    if old is not None:
        transaction.on_commit(lambda: old.unlink(missing_ok=True))
    return tenant
