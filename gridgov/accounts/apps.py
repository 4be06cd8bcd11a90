from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "gridgov.accounts"
    label = "accounts"
    verbose_name = "账号与部门"
