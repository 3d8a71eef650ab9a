"""The back office's forms (import, statements, reports). They only shape the inputs:
the services and selectors check the values and their errors land next to the fields."""

from django import forms
from django.conf import settings
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
