"""Issue and manage Open311 client applications' api_keys.

    manage.py open311_key create --name "某某随手拍" [--contact "张工 0635-1234567"] [--rate-limit 100]
    manage.py open311_key list
    manage.py open311_key renew --prefix o311_AbCdEf
    manage.py open311_key deactivate --prefix o311_AbCdEf

``create`` and ``renew`` print the key once; only its keyed hash is stored.
"""

from django.core.management.base import BaseCommand, CommandError

from gridgov.open311.models import ClientApplication


class Command(BaseCommand):
    help = "Open311 客户端应用的 api_key：create / list / renew / deactivate"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "list", "renew", "deactivate"])
        parser.add_argument("--name", default="")
        parser.add_argument("--contact", default="")
        parser.add_argument("--rate-limit", type=int, default=100, help="每小时提交上限")
        parser.add_argument("--prefix", default="", help="renew / deactivate: 密钥前缀")

    def handle(self, *args, action, name, contact, rate_limit, prefix, **options):
        if action == "create":
            if not name.strip():
                raise CommandError("--name 必填")
            if rate_limit < 1:
                raise CommandError("--rate-limit 至少为 1")
            app, raw = ClientApplication.issue(name.strip(), contact=contact.strip(), rate_limit_per_hour=rate_limit)
            self._print_key(app, raw)
        elif action == "list":
            for app in ClientApplication.objects.all():
                state = "启用" if app.active else "停用"
                self.stdout.write(f"{app.prefix}\t{state}\t{app.rate_limit_per_hour}/h\t{app.name}")
        else:
            app = ClientApplication.objects.filter(prefix=prefix.strip()).first() if prefix.strip() else None
            if app is None:
                raise CommandError("未找到该前缀的客户端应用（见 open311_key list）")
            if action == "renew":
                raw = app.new_key()
                app.save(update_fields=["key_hash", "prefix"])
                self._print_key(app, raw)
            else:
                app.active = False
                app.save(update_fields=["active"])
                self.stdout.write(f"已停用：{app.name}")

    def _print_key(self, app, raw):
        self.stderr.write(f"“{app.name}”的 api_key（只显示这一次，系统只保存其摘要）：")
        self.stdout.write(raw)
