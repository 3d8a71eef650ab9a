"""Platform admins onboard, suspend and inspect tenants here, through the services."""

from django import forms
from django.contrib import admin, messages
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from saas_platform.errors import DomainError
from tenants.exceptions import TenantFieldsInvalid
from tenants.models import Domain, Tenant
from tenants.services import (
    tenant_create,
    tenant_create_validate,
    tenant_reactivate,
    tenant_size_bytes,
    tenant_suspend,
)


class TenantOnboardForm(forms.ModelForm):
    owner_email = forms.EmailField(label=_("owner e-mail"))
    owner_password = forms.CharField(label=_("owner password"), widget=forms.PasswordInput)

    class Meta:
        model = Tenant
        fields = ["name", "subdomain", "currency", "locale", "country", "timezone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("country", "timezone"):
            self.fields[name].required = False
            self.fields[name].help_text = _("Empty: taken from the currency.")

    def clean(self):
        data = super().clean()
        try:
            data["country"], data["timezone"] = tenant_create_validate(
                business_name=data.get("name") or "", subdomain=data.get("subdomain") or "",
                owner_email=data.get("owner_email") or "",
                owner_password=data.get("owner_password") or "",
                currency=data.get("currency") or "", locale=data.get("locale") or "",
                country=data.get("country") or None, timezone_name=data.get("timezone") or None)
        except TenantFieldsInvalid as exc:
            form_field = {"business_name": "name"}
            for field, errors in exc.fields.items():
                self.add_error(form_field.get(field, field), errors)
        return data

    def _post_clean(self):
        # The service builds the tenant; the model's own uniqueness checks would run
        # against an instance that is never saved.
        pass


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "subdomain", "state", "currency", "locale", "created_at",
                    "claimed_at"]
    list_filter = ["state", "currency", "locale"]
    search_fields = ["name", "subdomain", "schema_name"]
    readonly_fields = ["schema_name", "state", "created_at", "claimed_at", "suspended_at",
                       "size"]
    actions = ["suspend", "reactivate"]

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(
            state__in=[Tenant.State.TEMPLATE, Tenant.State.POOL])

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = TenantOnboardForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "subdomain", "owner_email", "owner_password", "currency", "locale",
                    "country", "timezone"]
        return ["name", "subdomain", "schema_name", "state", "currency", "locale", "country",
                "timezone", "created_at", "claimed_at", "suspended_at", "size"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [*self.readonly_fields, "name", "subdomain", "currency", "country"]

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("size"))
    def size(self, obj):
        return filesizeformat(tenant_size_bytes(obj))

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        tenant = tenant_create(
            business_name=data["name"], subdomain=data["subdomain"],
            owner_email=data["owner_email"], owner_password=data["owner_password"],
            currency=data["currency"], locale=data["locale"], country=data["country"],
            timezone_name=data["timezone"])
        obj.pk = tenant.pk
        obj.schema_name = tenant.schema_name
        obj._state.adding = False

    @admin.action(description=_("Suspend selected tenants"))
    def suspend(self, request, queryset):
        self._apply(request, queryset, tenant_suspend)

    @admin.action(description=_("Reactivate selected tenants"))
    def reactivate(self, request, queryset):
        self._apply(request, queryset, tenant_reactivate)

    def _apply(self, request, queryset, service):
        for tenant in queryset:
            try:
                service(tenant=tenant)
            except DomainError as exc:
                self.message_user(request, f"{tenant}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{tenant}: OK", messages.SUCCESS)


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "tenant", "is_primary"]
    search_fields = ["domain"]
