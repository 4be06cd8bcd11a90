from django.core.management.base import BaseCommand, CommandError

from gridgov.core.errors import DomainError
from gridgov.interop import keys
from gridgov.interop.models import DepartmentKey


class Command(BaseCommand):
    help = "签发或停用部门接口密钥（密钥只显示一次）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="command", required=True)
        create = sub.add_parser("create", help="issue a key")
        create.add_argument("--department", required=True, help="部门编码")
        create.add_argument("--name", required=True, help="密钥名称（如 对接系统名）")
        revoke = sub.add_parser("revoke", help="deactivate a key")
        revoke.add_argument("--prefix", required=True)
        sub.add_parser("list", help="list keys")

    def handle(self, *args, command, **opts):
        if command == "create":
            try:
                key, raw = keys.issue_for_code(opts["department"], opts["name"])
            except DomainError as exc:
                raise CommandError(str(exc.message)) from exc
            self.stdout.write(f"department={key.department.code} user={key.user.username} prefix={key.prefix}")
            self.stdout.write(raw)
        elif command == "revoke":
            found = DepartmentKey.objects.filter(prefix=opts["prefix"])
            if found.count() != 1:
                raise CommandError("no single key with that prefix")
            keys.revoke(found.get())
            self.stdout.write("revoked")
        else:
            for k in DepartmentKey.objects.select_related("department").order_by("pk"):
                self.stdout.write(f"{k.prefix} {k.department.code} {k.name} active={k.active} last_used={k.last_used_at}")
