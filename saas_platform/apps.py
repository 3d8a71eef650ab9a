from django.apps import AppConfig


class SaasPlatformConfig(AppConfig):
    """Public schema: the platform itself (settings, URLs, supervisor, commands)."""

    name = "saas_platform"
    verbose_name = "Platform"
