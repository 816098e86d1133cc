"""Ticket views shared by the workspace and the portal: attachment download."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from frontdesk.tickets.models import Attachment
from frontdesk.tickets.selectors import attachment_get_for


@require_GET
@login_required
def attachment_download(request: HttpRequest, attachment_id: int, filename: str) -> FileResponse:
    """Serve a file only to people who may see its ticket, always as a download."""
    attachment = attachment_get_for(request.user, attachment_id)
    if filename != attachment.filename:
        raise Http404("No such attachment")
    return attachment_response(attachment)


def attachment_response(attachment: Attachment) -> FileResponse:
    """A file as a download that browsers never sniff or run (shared with the API)."""
    response = FileResponse(
        attachment.blob.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
