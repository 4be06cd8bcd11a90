import os

from django.core.management.base import BaseCommand

from gridgov.demo import services


class Command(BaseCommand):
    help = "载入演示城市（聊城市）：行政区划、网格、部门、各角色账号和近90天的事件。可重复运行，不会重复创建数据。"

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=services.DEFAULT_EVENTS)
        parser.add_argument("--quiet-logins", action="store_true", help="do not print the demo logins")

    def handle(self, *args, events=services.DEFAULT_EVENTS, quiet_logins=False, **opts):
        report = services.load_demo(events=events, log=lambda msg: self.stdout.write(msg))
        if not quiet_logins:
            self.stdout.write("")
            self.stdout.write(self.style.SUCCESS(f"演示账号（密码均为 {services.DEMO_PASSWORD}）："))
            for username, role, where in report["logins"]:
                self.stdout.write(f"  {role:<8} {username:<14} {where}")
            self.stdout.write("  群众     无需账号：打开 /citizen/report/ 上报，/citizen/track/ 查询")
            self.stdout.write("")
            # the address make demo serves on (HOST/PORT, as scripts/serve_demo.sh reads them; a wildcard
            # host is opened as 127.0.0.1); serve_demo.sh says it again once the server answers there
            host = os.environ.get("HOST") or "127.0.0.1"
            if host in ("0.0.0.0", "::", "[::]", "*"):
                host = "127.0.0.1"
            site = f"http://{host}:{os.environ.get('PORT') or '8000'}/"
            self.stdout.write(f"打开 {site} 登录；管理后台 /admin/；接口文档 /api/v1/docs")
            self.stdout.write(f"Open311 接口：{site}open311/discovery.json（发放 api_key：python manage.py open311_key create --name 应用名）")
