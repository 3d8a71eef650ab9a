"""Where job files live and how long: MEDIA_ROOT/exchange/<schema>/<kind>/..., so a path
always names its tenant; served only by the tenant's authenticated endpoints."""

import secrets
import shutil
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

ROOT = "exchange"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_expiry():
    return timezone.now() + timedelta(hours=settings.EXCHANGE_FILE_TTL_HOURS)


def file_key() -> str:
    return secrets.token_urlsafe(24)


def tenant_relative_path(kind: str, name: str) -> str:
    """A new relative path for this tenant's file (`kind`: uploads, errors, exports)."""
    schema = connection.schema_name
    return f"{ROOT}/{schema}/{kind}/{secrets.token_hex(8)}-{name}"


def tenant_job_path(kind: str, job_id: int, name: str = "") -> str:
    """A job's own place under the tenant (`kind`/job-<id>/`name`): the same path every
    time, so a redelivered task overwrites its file instead of adding a second one."""
    schema = connection.schema_name
    return f"{ROOT}/{schema}/{kind}/job-{job_id}" + (f"/{name}" if name else "")


def tree_delete(relative: str) -> None:
    if relative:
        try:
            path = absolute(relative)
        except FileNotFoundError:
            return
        shutil.rmtree(path, ignore_errors=True)


def absolute(relative: str) -> Path:
    path = (Path(settings.MEDIA_ROOT) / relative).resolve()
    own = (Path(settings.MEDIA_ROOT) / ROOT / connection.schema_name).resolve()
    if own not in path.parents:  # a path of another tenant is never opened here
        raise FileNotFoundError(relative)
    return path


def file_save(relative: str, chunks) -> Path:
    path = absolute(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        for chunk in chunks:
            out.write(chunk)
    return path


def file_delete(relative: str) -> None:
    if relative:
        try:
            absolute(relative).unlink(missing_ok=True)
        except FileNotFoundError:
            pass


def job_file_response(job, relative: str, given: str | None, filename: str, *,
                      content_type: str = XLSX):
    """A job's file, to one who may read the job (the caller checked) and gives its key,
    until it expires; else a 404 (the API and the web app alike)."""
    from django.http import FileResponse, Http404

    if (not relative or not given or not secrets.compare_digest(job.file_key, given)
            or job.expires_at < timezone.now()):
        raise Http404
    try:
        handle = open(absolute(relative), "rb")  # noqa: SIM115 - FileResponse closes it
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=filename,
                        content_type=content_type)


def job_paths_rename(sender, *, tenant, schema_from: str, **kwargs) -> None:
    """Receiver of tenants.signals.tenant_restored: a tenant restored under a new schema name
    finds its files under that name, so its jobs' paths say it too."""
    if schema_from == tenant.schema_name:
        return
    from django.db.models import Value
    from django.db.models.functions import Concat, Substr

    from exchange.models import ExportJob, ImportJob

    old = f"{ROOT}/{schema_from}/"
    new = f"{ROOT}/{tenant.schema_name}/"
    for model, fields in ((ImportJob, ("upload_path", "error_file_path")),
                          (ExportJob, ("file_path",))):
        for field in fields:
            model.objects.filter(**{f"{field}__startswith": old}).update(
                **{field: Concat(Value(new), Substr(field, len(old) + 1))})
