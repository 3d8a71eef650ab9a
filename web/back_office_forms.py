"""The back office's forms (import, statements, reports). They only shape the inputs:
the services and selectors check the values and their errors land next to the fields."""

import datetime

from django import forms
from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exchange.models import ImportJob
from web.forms import TokenForm

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ImportForm(TokenForm):
    file = forms.FileField(label=gettext_lazy("File"),
                           widget=forms.FileInput(attrs={"accept": ".xlsx"}))
    mode = forms.ChoiceField(label=gettext_lazy("Mode"), widget=forms.RadioSelect,
                             initial=ImportJob.Mode.ALL_OR_NOTHING, choices=[
                                 (ImportJob.Mode.ALL_OR_NOTHING, gettext_lazy("All or nothing")),
                                 (ImportJob.Mode.VALID_ROWS, gettext_lazy("Valid rows"))])
    match = forms.ChoiceField(label=gettext_lazy("Match existing customers by"),
                              widget=forms.RadioSelect, initial=ImportJob.Match.CODE,
                              choices=[(ImportJob.Match.CODE, gettext_lazy("Code")),
                                       (ImportJob.Match.PHONE, gettext_lazy("Phone"))])

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # The multipart request's own limit, as the API's (the content is the job's).
        if upload.size > settings.IMPORT_MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than %(limit)d MB.")
                                        % {"limit": settings.IMPORT_MAX_UPLOAD_MB})
        return upload


LANGUAGES = [("vi", "Tiếng Việt"), ("zh-hant", "繁體中文"), ("en", "English")]


def month_choices(today: datetime.date, count: int = 6) -> list[tuple[str, str]]:
    """This month and the `count - 1` before it, as YYYY-MM, newest first."""
    months, day = [], today.replace(day=1)
    for _i in range(count):
        months.append((day.strftime("%Y-%m"), formats.date_format(day, "YEAR_MONTH_FORMAT")))
        day = (day - datetime.timedelta(days=1)).replace(day=1)
    return months


class PeriodForm(forms.Form):
    """A month preset or a custom period (the tenant's local dates). Only turns the choice
    into two dates; finance.statements.period_check judges them."""

    month = forms.ChoiceField(label=gettext_lazy("Month"), required=False)
    period_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=DATE)
    period_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=DATE)
    lang = forms.ChoiceField(label=gettext_lazy("Language of the statement"), choices=LANGUAGES,
                             required=False)

    def __init__(self, *args, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["month"].choices = [("", _("Custom period"))] + month_choices(today)

    def clean(self):
        data = super().clean()
        month = data.get("month")
        if month:
            first = datetime.date.fromisoformat(f"{month}-01")
            following = (first + datetime.timedelta(days=32)).replace(day=1)
            data["period_from"] = first
            data["period_to"] = min(following - datetime.timedelta(days=1), self.today) \
                if first <= self.today else following - datetime.timedelta(days=1)
        else:
            for name in ("period_from", "period_to"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("Choose a month or give both dates."))
        return data


class StatementForm(PeriodForm):
    consolidated = forms.ChoiceField(
        label=gettext_lazy("Group company"), widget=forms.RadioSelect, required=False,
        choices=[("0", gettext_lazy("Its own statement")),
                 ("1", gettext_lazy("Consolidated, a subtotal per subsidiary"))])


class ScopeFields(forms.Form):
    """Branch, salesperson and group to narrow a batch or a report to, each "All" first;
    `choices` are the user's visible ones (branches, owners, groups)."""
    branch = forms.ChoiceField(label=gettext_lazy("Branch"), required=False)
    owner = forms.ChoiceField(label=gettext_lazy("Salesperson"), required=False)
    group = forms.ChoiceField(label=gettext_lazy("Customer group"), required=False)
    SCOPES = ("branch", "owner", "group")

    def __init__(self, *args, choices: dict, **kwargs):
        super().__init__(*args, **kwargs)
        every = [("", _("All"))]
        self.fields["branch"].choices = every + choices["branches"]
        self.fields["owner"].choices = every + choices["owners"]
        self.fields["group"].choices = every + choices["groups"]


class StatementBatchForm(TokenForm, PeriodForm, ScopeFields):
    nonzero_only = forms.BooleanField(
        label=gettext_lazy("Only customers with activity or a balance"), required=False)

    def filters(self) -> dict:
        data = self.cleaned_data
        found = {name: int(data[name]) for name in self.SCOPES if data.get(name)}
        return {**found, "nonzero_only": bool(data.get("nonzero_only"))}


class AgingForm(ScopeFields):
    by = forms.ChoiceField(label=gettext_lazy("One row per"), widget=forms.RadioSelect,
                           required=False, choices=[("branch", gettext_lazy("Branch")),
                                                    ("owner", gettext_lazy("Salesperson"))])

    def selector_filters(self) -> dict:
        data = self.cleaned_data
        return {f"{name}_id": int(data[name]) if data.get(name) else None
                for name in self.SCOPES}


class DailyReportForm(forms.Form):
    branch = forms.ChoiceField(label=gettext_lazy("Branch"), required=False)
    day = forms.DateField(label=gettext_lazy("Day"), required=False, widget=DATE)

    def __init__(self, *args, branches: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].choices = [("", _("My branch"))] + branches
