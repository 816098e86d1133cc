from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from frontdesk.mail.models import Mailbox
from frontdesk.mail.services import MAILBOX_FIELDS


class MailboxForm(forms.ModelForm):
    """The password is write-only: it is never sent back to the browser."""

    password = forms.CharField(
        label=_("password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the stored password."),
    )

    class Meta:
        model = Mailbox
        fields = MAILBOX_FIELDS

    def clean(self) -> dict:
        data = super().clean()
        if data.get("after_import") == "move" and not data.get("move_folder"):
            self.add_error("move_folder", _("Name the folder to move imported mail to."))
        if data.get("imap_ssl") and data.get("imap_starttls"):
            self.add_error("imap_starttls", _("Choose either TLS or STARTTLS, not both."))
        return data
