from django.db import models


class IdempotencyRecord(models.Model):
    """A POST's Idempotency-Key and its first response, stored in the same transaction as
    its effect. Scope: schema (tenant) + user + method + path."""

    key = models.CharField(max_length=255)
    user_id = models.BigIntegerField(null=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "user_id", "method", "path"],
                                    nulls_distinct=False, name="idempotency_scope_unique"),
        ]

    def __str__(self):
        return f"{self.method} {self.path} {self.key}"
