from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ExtranetConfig(AppConfig):
    name = "extranet"
    verbose_name = _("Portail et comptes")

    def ready(self) -> None:
        from extranet import audit
        from extranet.roles import ensure_staff_group

        # After every migrate, the "Secrétariat" group gets the permissions of the portal's models,
        # including those added by a new release (Django creates permissions the same way).
        post_migrate.connect(ensure_staff_group, dispatch_uid="extranet.ensure_staff_group")
        # Staff logins and failed logins go to the audit log.
        audit.connect_signals()
