from django.urls import include, path
from rest_framework.routers import DefaultRouter

from api.views import staff as staff_views
from api.views.auth import MeView, TokenView
from api.views.letterhead import LetterheadLogoView, LetterheadView

router = DefaultRouter(trailing_slash=False)

urlpatterns = [
    path("auth/token", TokenView.as_view(), name="auth-token"),
    path("auth/password-reset", staff_views.PasswordResetView.as_view(),
         name="password-reset"),
    path("auth/password", staff_views.PasswordSetView.as_view(), name="password-set"),
    path("auth/tokens", staff_views.ApiTokenListView.as_view(), name="token-list"),
    path("auth/tokens/<int:pk>", staff_views.ApiTokenRevokeView.as_view(), name="token-revoke"),
    path("me", MeView.as_view(), name="me"),
    path("users", staff_views.StaffListView.as_view(), name="staff-list"),
    path("users/<int:pk>", staff_views.StaffDetailView.as_view(), name="staff-detail"),
    path("users/<int:pk>/deactivate", staff_views.StaffDeactivateView.as_view(),
         name="staff-deactivate"),
    path("users/<int:pk>/reactivate", staff_views.StaffReactivateView.as_view(),
         name="staff-reactivate"),
    path("users/<int:pk>/resend-invite", staff_views.StaffInviteResendView.as_view(),
         name="staff-resend-invite"),
    path("letterhead", LetterheadView.as_view(), name="letterhead"),
    path("letterhead/logo", LetterheadLogoView.as_view(), name="letterhead-logo"),
    path("", include("api.urls_crm")),
    path("", include("api.urls_finance")),
    path("", include("api.urls_exchange")),
    *router.urls,
]
