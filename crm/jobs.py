"""Who may read a background job (import, export, statement batch) and its files.

A job holds what its creator could see when it ran, so it is theirs alone, unless the user
has `crm.view_all_jobs` (the owner role does; no other role by default; an owner may
grant it to a user). Every job endpoint, page and file download goes through here.
"""

from django.db.models import QuerySet


def jobs_visible(queryset: QuerySet, *, user) -> QuerySet:
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.has_perm("crm.view_all_jobs"):
        return queryset
    return queryset.filter(created_by=user)
