from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and cohorts"

    def ready(self) -> None:
        from accounts import security

        security.connect()
