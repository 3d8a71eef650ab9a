"""Choosing a password through a one-time link (an invite, a forgotten password) and
asking for a reset link: crm.passwords, the service the API's /auth/password* call."""

from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from crm import passwords
from crm.exceptions import PasswordLinkInvalid, PasswordResetThrottled
from saas_platform.errors import DomainError
from web.errors import form_errors_add
from web.settings_forms import PasswordChooseForm, PasswordForgotForm


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def password_choose(request, uid: str, token: str, purpose: str):
    try:
        user = passwords.password_link_user(uid=uid, token=token, purpose=purpose)
    except PasswordLinkInvalid as error:
        return render(request, "web/password_link_refused.html",
                      {"message": error.message, "tenant": request.tenant}, status=400)
    form = PasswordChooseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user = passwords.password_link_spend(uid=uid, token=token, purpose=purpose,
                                                     password=form.cleaned_data["password"])
            except DomainError as error:
                form_errors_add(error, form)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect("web:home")
        status = 422
    return render(request, "web/password_choose.html", {
        "form": form, "purpose": purpose, "account": user.username, "tenant": request.tenant,
    }, status=status)


@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def password_forgot(request):
    """The same answer for every address typed (no one learns who has an account)."""
    form = PasswordForgotForm(request.POST or None)
    status, sent = 200, False
    if request.method == "POST":
        if form.is_valid():
            try:
                passwords.password_reset_request(email=form.cleaned_data["email"],
                                                 client=request.META.get("REMOTE_ADDR", ""))
            except PasswordResetThrottled as error:
                form.add_error(None, error.message)
                status = error.http_status
            else:
                sent = True
        else:
            status = 422
    return render(request, "web/password_forgot.html",
                  {"form": form, "sent": sent, "tenant": request.tenant}, status=status)
