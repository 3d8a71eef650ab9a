from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Branch(models.Model):
    """A store of the chain. Every tenant starts with one, code MAIN."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=500, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    active = models.BooleanField(_("active"), default=True)
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, through="StaffBranch",
                                   related_name="branches")

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class StaffBranch(models.Model):
    """A staff user works at a branch; exactly one of their branches is primary."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT)
    primary = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "branch"], name="staffbranch_unique"),
            models.UniqueConstraint(fields=["user"], condition=Q(primary=True),
                                    name="staffbranch_one_primary"),
        ]
