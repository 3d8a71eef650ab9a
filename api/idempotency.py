"""Idempotency-Key on every POST (DESIGN §6).

The key is inserted in the same transaction as the effect. PostgreSQL makes a second
insert of the same key wait for the first transaction, so a concurrent repeat waits and
then replays the stored response; a rolled-back first attempt leaves no trace.
"""

import hashlib
import json

from django.db import connection, transaction
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from api.exceptions import IdempotencyKeyInvalid, IdempotencyKeyReused
from api.models import IdempotencyRecord

HEADER = "Idempotency-Key"


class _Replay(Exception):
    def __init__(self, record: IdempotencyRecord):
        self.record = record


def request_fingerprint(request) -> str:
    """A hash of the parsed body: same JSON in other spacing or key order, same hash."""
    digest = hashlib.sha256()
    files = request.FILES
    data = request.data
    if hasattr(data, "lists"):  # form or multipart: files are merged into data
        data = {k: v for k, v in data.lists() if k not in files}
    digest.update(json.dumps(data, sort_keys=True, cls=JSONEncoder, default=str).encode())
    for name in sorted(files):
        upload = files[name]
        digest.update(name.encode())
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
    return digest.hexdigest()


def idempotency_claim(*, key: str, user_id: int | None, method: str, path: str,
                      request_hash: str) -> IdempotencyRecord:
    """Own the key (returns the new record) or raise _Replay / IdempotencyKeyReused."""
    table = IdempotencyRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, user_id, method, path, request_hash, created_at) "
            "VALUES (%s, %s, %s, %s, %s, now()) ON CONFLICT DO NOTHING RETURNING id",
            [key, user_id, method, path, request_hash])
        row = cursor.fetchone()
    if row is not None:
        return IdempotencyRecord(id=row[0], key=key, user_id=user_id, method=method, path=path,
                                 request_hash=request_hash)
    existing = IdempotencyRecord.objects.get(key=key, user_id=user_id, method=method, path=path)
    if existing.request_hash != request_hash:
        raise IdempotencyKeyReused()
    raise _Replay(existing)


class IdempotencyMixin:
    """For DRF views: a POST with the header runs in one transaction with its key."""

    _idempotency_record = None

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST" and HEADER.lower() in {h.lower() for h in request.headers}:
            with transaction.atomic():
                return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return
        key = key.strip()
        if not key or len(key) > 255 or not key.isprintable():
            raise IdempotencyKeyInvalid()
        user = getattr(request, "user", None)
        self._idempotency_record = idempotency_claim(
            key=key, user_id=user.pk if user is not None and user.is_authenticated else None,
            method=request.method, path=request.path, request_hash=request_fingerprint(request))

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            response = Response(exc.record.response_body, status=exc.record.response_status)
            response["Idempotent-Replayed"] = "true"
            return response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        record = self._idempotency_record
        if record is not None and response.status_code < 500:
            self._idempotency_record = None
            body = json.loads(json.dumps(getattr(response, "data", None), cls=JSONEncoder))
            IdempotencyRecord.objects.filter(pk=record.pk).update(
                response_status=response.status_code, response_body=body)
        return response
