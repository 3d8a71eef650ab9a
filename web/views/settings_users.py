"""Settings › Users and roles, and API tokens: crm.staff and crm.tokens, the services the
API's /users and /auth/tokens call."""

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from crm import staff, tokens
from saas_platform.errors import DomainError
from web.settings_forms import InviteForm, StaffForm
from web.views.settings import form_run, section_check, section_render


def _staff_or_404(request, pk) -> User:
    try:
        return staff.staff_get(actor=request.user, user_id=pk)
    except User.DoesNotExist:
        raise Http404 from None


@require_http_methods(["GET", "POST"])
@login_required
def users(request):
    section_check(request, "users")
    form = InviteForm(request.POST or None)
    status = 200
    if request.method == "POST":
        def run(data):
            user = staff.staff_invite(actor=request.user, email=data["email"],
                                      **form.service_fields())
            return reverse("web:settings_user", args=[user.pk]) + "?invited=1"

        response = form_run(request, form, run)
        if response is not None:
            return response
        status = 422
    rows = [staff.staff_profile(u) for u in staff.staff_list(actor=request.user)]
    return section_render(request, "users", "web/settings_users.html",
                          {"users": rows, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def user_detail(request, pk: int):
    section_check(request, "users")
    user = _staff_or_404(request, pk)
    profile = staff.staff_profile(user)
    form = StaffForm(request.POST or None, initial=StaffForm.initial_of(profile))
    status = 200
    if request.method == "POST":
        def run(data):
            staff.staff_update(actor=request.user, user=user, **form.service_fields())
            return reverse("web:settings_user", args=[user.pk]) + "?saved=1"

        response = form_run(request, form, run)
        if response is not None:
            return response
        status = 422
    return section_render(request, "users", "web/settings_user.html", {
        "profile": profile, "form": form, "is_self": user.pk == request.user.pk,
        "invited": "invited" in request.GET, "saved": "saved" in request.GET,
    }, status=status)


def _user_action(service, flag: str):
    @require_POST
    @login_required
    def view(request, pk: int):
        section_check(request, "users")
        user = _staff_or_404(request, pk)
        url = reverse("web:settings_user", args=[user.pk])
        try:
            service(actor=request.user, user=user)
        except DomainError as error:
            detail = staff.staff_profile(staff.staff_get(actor=request.user, user_id=pk))
            return section_render(request, "users", "web/settings_user.html", {
                "profile": detail, "form": StaffForm(initial=StaffForm.initial_of(detail)),
                "is_self": user.pk == request.user.pk, "error": error.message},
                status=error.http_status if error.http_status < 500 else 409)
        return redirect(f"{url}?{flag}=1")

    view.__name__ = service.__name__
    return view


user_deactivate = _user_action(staff.staff_deactivate, "deactivated")
user_reactivate = _user_action(staff.staff_reactivate, "reactivated")
user_invite_resend = _user_action(staff.staff_invite_resend, "invited")


@require_http_methods(["GET"])
@login_required
def api_tokens(request):
    section_check(request, "tokens")
    rows = [{"user": t.user, "created": t.created, "expires_at": tokens.api_token_expires_at(t),
             "expired": tokens.api_token_expired(t)}
            for t in tokens.api_token_list(actor=request.user)]
    return section_render(request, "tokens", "web/settings_tokens.html",
                          {"tokens": rows, "revoked": "revoked" in request.GET})


@require_POST
@login_required
def api_token_revoke(request, pk: int):
    section_check(request, "tokens")
    user = _staff_or_404(request, pk)
    tokens.api_token_revoke(actor=request.user, user=user)
    return redirect(reverse("web:settings_tokens") + "?revoked=1")
