from django.urls import include, path
from rest_framework.routers import DefaultRouter

from api.views.auth import MeView, TokenView
from api.views.letterhead import LetterheadLogoView, LetterheadView

router = DefaultRouter(trailing_slash=False)

urlpatterns = [
    path("auth/token", TokenView.as_view(), name="auth-token"),
    path("me", MeView.as_view(), name="me"),
    path("letterhead", LetterheadView.as_view(), name="letterhead"),
    path("letterhead/logo", LetterheadLogoView.as_view(), name="letterhead-logo"),
    path("", include("api.urls_crm")),
    path("", include("api.urls_finance")),
    path("", include("api.urls_exchange")),
    *router.urls,
]
