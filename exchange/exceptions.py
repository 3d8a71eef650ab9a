"""Errors of import and export jobs."""

from django.utils.translation import gettext_lazy as _

from saas_platform.errors import DomainError


class JobNotFinished(DomainError):
    code, http_status = "job_not_finished", 409
    default_message = _("Only a failed job can be run again.")


class FileExpired(DomainError):
    code, http_status = "file_expired", 404
    default_message = _("This file has expired or does not exist any more.")


class JobNotFound(DomainError):
    """No such job, or not one this user may see (the same answer for both)."""

    code, http_status = "not_found", 404
    default_message = _("Not found.")
