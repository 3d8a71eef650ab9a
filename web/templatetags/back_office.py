"""Labels of the back office's screens: a ledger entry's kind, an aging bucket."""

from django import template

from finance.statement_formats import bucket_labels, kind_label

register = template.Library()


@register.filter
def entry_kind(kind: str) -> str:
    return kind_label(kind)


@register.filter
def bucket_label(bucket: str) -> str:
    return bucket_labels().get(bucket, bucket)
