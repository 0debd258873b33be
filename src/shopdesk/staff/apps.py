from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender, **kwargs):
    from shopdesk.staff.services import sync_roles

    sync_roles(using=kwargs.get("using", "default"))


class StaffConfig(AppConfig):
    name = "shopdesk.staff"
    label = "staff"
    verbose_name = _("Staff and roles")

    def ready(self):
        # After every migrate the role groups and their permissions match shopdesk.staff.roles.
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="shopdesk.staff.sync_roles")
