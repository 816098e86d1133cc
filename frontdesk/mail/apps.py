from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "frontdesk.mail"
    label = "mail"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save
        from django.utils.translation import gettext_lazy as _

        from frontdesk.core import health
        from frontdesk.desk.extensions import MessageExtra, SettingsLink, register
        from frontdesk.mail import handlers, tasks, webhooks  # noqa: F401 - tasks register
        from frontdesk.mail.models import Mailbox
        from frontdesk.mail.pipeline import own_addresses_forget
        from frontdesk.mail.selectors import mail_health, message_mail_extras

        # A cache, not a business rule: the address list is re-read after any change.
        post_save.connect(own_addresses_forget, sender=Mailbox, dispatch_uid="mail-own-save")
        post_delete.connect(own_addresses_forget, sender=Mailbox, dispatch_uid="mail-own-del")
        handlers.register()
        # /healthz: dead letters and each mailbox's last poll (ids and ages only).
        health.register("mail", mail_health)
        webhooks.register()
        register(
            SettingsLink(
                key="mail",
                title=_("Mailboxes"),
                url_name="mail:mailbox_list",
                description=_("Support addresses, IMAP polling, failed and held mail."),
                position=50,
            )
        )
        register(
            MessageExtra(
                key="mail",
                template="mail/_message_extra.html",
                context=message_mail_extras,
                position=50,
            )
        )
