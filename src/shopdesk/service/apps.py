from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "shopdesk.service"
    label = "service"
    verbose_name = _("Customer service")

    def ready(self):
        from shopdesk.service import workbench, workbench_team

        workbench.register_tiles()
        workbench_team.register_tiles()
