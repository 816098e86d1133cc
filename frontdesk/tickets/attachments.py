"""Attachment intake: size and type checks, then content-addressed storage."""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from frontdesk.core import clock
from frontdesk.core.files import content_file_store
from frontdesk.tickets.models import Attachment, Blob, Message


@dataclass(frozen=True)
class IncomingFile:
    """A file that arrived with a message, before it is stored."""

    name: str
    content: bytes
    content_type: str = ""
    inline: bool = False


# Signatures of a few formats whose extension must not lie (a ".png" that is HTML is not).
_MAGIC = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
}


def incoming_files(uploads: Iterable[Any]) -> list[IncomingFile]:
    """Uploaded files (forms, API) as the intake takes them; their type is decided later."""
    return [
        IncomingFile(
            name=f.name or "attachment",
            content=f.read(),
            content_type=getattr(f, "content_type", "") or "",
        )
        for f in uploads
    ]


def filename_clean(name: str) -> str:
    """Only the last path component, no control characters, never empty."""
    base = PurePosixPath(name.replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|:*?').strip(". ")
    return base[:200] or "attachment"


def attachment_check(files: list[IncomingFile]) -> None:
    """Refuse oversized files, blocked extensions and content that contradicts its name."""
    errors = []
    total = 0
    for item in files:
        name = filename_clean(item.name)
        size = len(item.content)
        total += size
        extension = name.rpartition(".")[2].lower() if "." in name else ""
        if size > settings.ATTACHMENT_MAX_FILE_BYTES:
            errors.append(
                _("%(name)s is larger than %(limit)s MB.")
                % {"name": name, "limit": settings.ATTACHMENT_MAX_FILE_BYTES // (1024 * 1024)}
            )
        if extension in settings.ATTACHMENT_BLOCKED_EXTENSIONS:
            errors.append(
                _("%(name)s: files of type .%(ext)s are not accepted.")
                % {"name": name, "ext": extension}
            )
        guessed = content_type_for(name)
        signatures = _MAGIC.get(guessed)
        if signatures and size and not item.content.startswith(signatures):
            errors.append(_("%(name)s does not contain what its name says.") % {"name": name})
    if total > settings.ATTACHMENT_MAX_MESSAGE_BYTES:
        errors.append(
            _("Attachments together are larger than %(limit)s MB.")
            % {"limit": settings.ATTACHMENT_MAX_MESSAGE_BYTES // (1024 * 1024)}
        )
    if errors:
        raise ValidationError({"attachments": errors})


def content_type_for(name: str) -> str:
    """The type we serve a file as is decided by us from its name, never by the sender."""
    guessed, _encoding = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"


def blob_store(content: bytes) -> Blob:
    """Store content once per SHA-256; a second identical upload reuses the first."""
    return blobs_store([content])[0]


def blobs_store(contents: list[bytes]) -> list[Blob]:
    """The blob of each content, in order: files written once per SHA-256 (content
    addressed, so a write left behind by a rolled-back transaction is simply reused) and
    the rows in one upsert, so identical content stored at the same moment by two writers
    ends as one row without a savepoint or a retry."""
    digests = [hashlib.sha256(content).hexdigest() for content in contents]
    unique: dict[str, Blob] = {}
    for digest, content in zip(digests, contents, strict=True):
        if digest in unique:
            continue
        # The name the FileField's upload_to ("blobs/") gives it.
        name = content_file_store(f"blobs/{digest[:2]}/{digest[2:4]}/{digest}", content)
        unique[digest] = Blob(sha256=digest, size=len(content), file=name, created_at=clock.now())
    # ON CONFLICT (sha256) DO UPDATE sets nothing new (same content, same size) but returns
    # the existing row's id, which DO NOTHING would not.
    Blob.objects.bulk_create(
        list(unique.values()),
        update_conflicts=True,
        unique_fields=["sha256"],
        update_fields=["size"],
    )
    return [unique[digest] for digest in digests]


def attachments_store(*, message: Message, files: list[IncomingFile]) -> list[Attachment]:
    """A message's files: their blobs in one statement, the attachment rows in another."""
    if not files:
        return []
    return Attachment.objects.bulk_create(attachment_rows(message=message, files=files))


def attachment_rows(*, message: Message, files: list[IncomingFile]) -> list[Attachment]:
    """The files' blobs stored (one statement) and their attachment rows, not yet saved."""
    blobs = blobs_store([item.content for item in files])
    rows = []
    for item, blob in zip(files, blobs, strict=True):
        name = filename_clean(item.name)
        rows.append(
            Attachment(
                message=message,
                blob=blob,
                filename=name,
                content_type=content_type_for(name),
                size=blob.size,
                inline=item.inline,
            )
        )
    return rows
