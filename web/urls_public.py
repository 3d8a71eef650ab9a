"""The web app on the public host: the landing page with signup, the language switcher."""

from django.urls import path

from web.language import language_set
from web.views import public

app_name = "web"
urlpatterns = [
    path("", public.landing, name="landing"),
    path("language/", language_set, name="language"),
]
