from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "gridgov.core"
    label = "core"
    verbose_name = "基础"

    def ready(self):
        from gridgov.core import appendonly

        # after every migrate: the append-only tables refuse UPDATE and DELETE in the database too
        post_migrate.connect(appendonly.on_post_migrate, sender=self, dispatch_uid="gridgov.core.appendonly")
