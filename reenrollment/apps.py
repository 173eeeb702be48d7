from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReenrollmentConfig(AppConfig):
    name = "reenrollment"
    verbose_name = _("Réinscriptions")

    def ready(self) -> None:
        from reenrollment import signals

        signals.connect()
