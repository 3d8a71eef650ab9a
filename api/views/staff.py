"""Users and roles (DESIGN §3), API tokens, the forgotten-password link. Views parse and
call crm.staff, crm.tokens and crm.passwords: the same services as the web screens."""

from django.contrib.auth.models import User
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from api.base import APIView
from api.pagination import page_of
from crm import passwords, staff, tokens


class StaffSerializer(serializers.Serializer):
    """A staff user as shown (crm.staff.staff_profile)."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    branches = serializers.ListField(child=serializers.DictField())
    primary_branch = serializers.IntegerField(allow_null=True)
    permissions = serializers.ListField(child=serializers.CharField())
    is_active = serializers.BooleanField()
    invite_pending = serializers.BooleanField()
    last_login = serializers.DateTimeField(allow_null=True)
    date_joined = serializers.DateTimeField()


class StaffWriteSerializer(serializers.Serializer):
    """The request body (documentation only: crm.staff checks every field)."""

    email = serializers.EmailField(required=False, help_text="Invite only.")
    roles = serializers.ListField(child=serializers.CharField(), required=False)
    branches = serializers.ListField(child=serializers.IntegerField(), required=False)
    primary_branch = serializers.IntegerField(required=False)
    permissions = serializers.ListField(child=serializers.CharField(), required=False)
    first_name = serializers.CharField(required=False)
    last_name = serializers.CharField(required=False)


_FIELDS = ("roles", "branches", "primary_branch", "permissions", "first_name", "last_name")


def _body(request, allowed) -> dict:
    data = request.data
    if not hasattr(data, "get"):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    found = {k: data.get(k) for k in allowed if k in data}
    for name in ("roles", "branches", "permissions"):
        if name in found and not isinstance(found[name], list):
            raise ValidationError({name: [_("A list is required.")]})
    return found


def _shown(request, user_id, http_status=status.HTTP_200_OK) -> Response:
    return Response(StaffSerializer(staff.staff_profile(
        staff.staff_get(actor=request.user, user_id=user_id))).data, status=http_status)


def _staff_or_404(request, pk) -> User:
    try:
        return staff.staff_get(actor=request.user, user_id=pk)
    except User.DoesNotExist:
        raise Http404 from None


class StaffListView(APIView):
    @extend_schema(operation_id="v1_users_list", responses=page_of(StaffSerializer, "StaffPage"))
    def get(self, request):
        rows = [staff.staff_profile(u) for u in staff.staff_list(actor=request.user)]
        return Response({"results": StaffSerializer(rows, many=True).data, "next": None,
                         "previous": None})

    @extend_schema(request=StaffWriteSerializer, responses={201: StaffSerializer})
    def post(self, request):
        """Invite a staff member: they choose their password through the e-mailed link."""
        fields = _body(request, ("email", *_FIELDS))
        user = staff.staff_invite(actor=request.user, email=fields.pop("email", ""),
                                  roles=fields.pop("roles", None) or [],
                                  branches=fields.pop("branches", None) or [], **fields)
        return _shown(request, user.pk, status.HTTP_201_CREATED)


class StaffDetailView(APIView):
    @extend_schema(responses=StaffSerializer)
    def get(self, request, pk: int):
        return _shown(request, _staff_or_404(request, pk).pk)

    @extend_schema(request=StaffWriteSerializer, responses=StaffSerializer)
    def patch(self, request, pk: int):
        user = staff.staff_update(actor=request.user, user=_staff_or_404(request, pk),
                                  **_body(request, _FIELDS))
        return _shown(request, user.pk)


def _action(service):
    class View(APIView):
        @extend_schema(request=None, responses=StaffSerializer)
        def post(self, request, pk: int):
            user = _staff_or_404(request, pk)
            service(actor=request.user, user=user)
            return _shown(request, user.pk)

    View.__name__ = f"Staff{service.__name__.title().replace('_', '')}View"
    return View


StaffDeactivateView = _action(staff.staff_deactivate)
StaffReactivateView = _action(staff.staff_reactivate)
StaffInviteResendView = _action(staff.staff_invite_resend)


class ApiTokenSerializer(serializers.Serializer):
    user = serializers.IntegerField(source="user_id")
    username = serializers.CharField(source="user.username")
    created = serializers.DateTimeField()
    expires_at = serializers.SerializerMethodField()

    def get_expires_at(self, token) -> str:
        return serializers.DateTimeField().to_representation(tokens.api_token_expires_at(token))


class ApiTokenListView(APIView):
    """API tokens (never their keys): everyone's for those who manage users, else one's own."""

    @extend_schema(operation_id="v1_auth_tokens_list",
                   responses=page_of(ApiTokenSerializer, "ApiTokenPage"))
    def get(self, request):
        rows = tokens.api_token_list(actor=request.user)
        return Response({"results": ApiTokenSerializer(rows, many=True).data, "next": None,
                         "previous": None})


class ApiTokenRevokeView(APIView):
    """Revoke the token of user `pk` (one's own, or anyone's for those who manage users)."""

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        user = User.objects.filter(pk=pk).first()
        if user is None:
            raise Http404
        if not tokens.api_token_revoke(actor=request.user, user=user):
            raise Http404
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(APIView):
    """Ask for a one-time link to choose a new password; the same 202 whether the e-mail
    is known or not (429 when asked too often)."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=inline_serializer("PasswordResetRequest",
                                             {"email": serializers.CharField()}),
                   responses={202: dict})
    def post(self, request):
        email = request.data.get("email", "") if hasattr(request.data, "get") else ""
        passwords.password_reset_request(email=str(email or ""),
                                         client=request.META.get("REMOTE_ADDR", ""))
        return Response({"detail": _("If this e-mail belongs to a user, a link to choose a "
                                     "new password is on its way.")},
                        status=status.HTTP_202_ACCEPTED)


class PasswordSetView(APIView):
    """Spend an invite or reset link: {uid, token, password, purpose: invite|reset}."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=inline_serializer("PasswordSet", {
        "uid": serializers.CharField(), "token": serializers.CharField(),
        "password": serializers.CharField(),
        "purpose": serializers.ChoiceField(choices=[passwords.INVITE, passwords.RESET])}),
        responses={200: dict})
    def post(self, request):
        data = request.data if hasattr(request.data, "get") else {}
        purpose = data.get("purpose") or passwords.RESET
        if purpose not in (passwords.INVITE, passwords.RESET):
            raise ValidationError({"purpose": [_("Choose one of: %(choices)s.")
                                               % {"choices": "invite, reset"}]})
        user = passwords.password_link_spend(
            uid=str(data.get("uid") or ""), token=str(data.get("token") or ""),
            purpose=purpose, password=str(data.get("password") or ""))
        return Response({"username": user.username})
