"""URLs of a tenant host (`<subdomain>.<base domain>`)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("api/v1/", include("api.urls_tenant")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    # The staff web app: `/` (to the login or the customers), /login/, /customers/...
    path("", include("web.urls")),
]
