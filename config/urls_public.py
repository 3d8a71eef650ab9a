"""URLs of the public host (the platform): the landing page with signup, the signup API,
API docs, platform admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls_public")),
    path("api/schema/", SpectacularAPIView.as_view(urlconf="config.urls_public"),
         name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    # The staff web app's public part: `/` (what the product does, signup), /language/.
    path("", include("web.urls_public")),
]
