from django.utils.translation import gettext_lazy as _

from api.errors import domain_error


@domain_error(409, "job_not_finished")
class JobNotFinished(Exception):
    def __str__(self):
        return str(_("Only a failed import can be run again."))


@domain_error(404, "file_expired")
class FileExpired(Exception):
    def __str__(self):
        return str(_("This file has expired or does not exist any more."))
