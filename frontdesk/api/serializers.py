"""What the API reads and writes: plain JSON (numbers, slugs, ids and emails, ISO times).

Output serializers only render; input serializers only parse and check types. Business
rules (who may set what on a ticket, what a valid status change is) stay in the services;
the one exception is which payload fields a customer may send at all, which is a matter
of the interface.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from frontdesk.accounts.models import STAFF_ROLES, Team, User
from frontdesk.api.fields import IdField, TicketNumberField
from frontdesk.customers.models import Organization
from frontdesk.tickets.models import (
    Attachment,
    Channel,
    CustomField,
    Level,
    LinkKind,
    Macro,
    Message,
    MessageKind,
    Priority,
    SavedView,
    Status,
    StatusCategory,
    Ticket,
    TicketEvent,
    TicketType,
)

# Generous for any human message, small enough that nobody stores a novel by accident.
BODY_MAX_CHARS = 200_000


def body_field() -> serializers.CharField:
    """A message body (text or HTML): optional, kept exactly as sent, bounded in size."""
    return serializers.CharField(
        max_length=BODY_MAX_CHARS,
        allow_blank=True,
        required=False,
        default="",
        trim_whitespace=False,
    )


MAX_LIST_ITEMS = 50
MAX_ATTACHMENTS = 20


class StrictSerializer(serializers.Serializer):
    """Refuses keys it does not know, so a typo ("stauts") is a 400 instead of a no-op."""

    ignored_keys = frozenset({"csrfmiddlewaretoken"})

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = set(data) - set(self.fields) - self.ignored_keys
            if unknown:
                raise serializers.ValidationError(
                    {str(key)[:100]: [_("Unknown field.")] for key in sorted(unknown, key=str)}
                )
        return super().to_internal_value(data)


# --- references -----------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    name = serializers.CharField(source="display_name", read_only=True)


class NamedRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


# --- tickets --------------------------------------------------------------------------------


class _TicketFields(serializers.Serializer):
    """What everyone who may see a ticket reads. Plain fields: no model introspection per
    response, which matters for the create path's throughput."""

    number = serializers.IntegerField(read_only=True)
    subject = serializers.CharField(read_only=True)
    status_category = serializers.ChoiceField(choices=StatusCategory.choices, read_only=True)
    customer_status = serializers.CharField(read_only=True)
    ticket_type = serializers.CharField(source="ticket_type.slug", read_only=True)
    urgency = serializers.ChoiceField(choices=Level.choices, read_only=True)
    impact = serializers.ChoiceField(choices=Level.choices, read_only=True)
    channel = serializers.ChoiceField(choices=Channel.choices, read_only=True)
    requester = PersonSerializer(read_only=True)
    organization = NamedRefSerializer(read_only=True, allow_null=True)
    cc = PersonSerializer(many=True, read_only=True)
    custom_fields = serializers.DictField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    solved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    merged_into = serializers.IntegerField(
        source="merged_into.number", read_only=True, allow_null=True
    )
    version = serializers.IntegerField(read_only=True)

    def to_representation(self, ticket: Ticket) -> dict[str, Any]:
        """The declared fields above, written out: DRF's field-by-field rendering cost more
        than the rest of a ticket create. A test holds the two to the same output."""
        return {
            "number": ticket.number,
            "subject": ticket.subject,
            "status_category": ticket.status_category,
            "customer_status": str(ticket.customer_status),
            "ticket_type": ticket.ticket_type.slug,
            "urgency": ticket.urgency,
            "impact": ticket.impact,
            "channel": ticket.channel,
            "requester": _person(ticket.requester),
            "organization": _named(ticket.organization),
            "cc": [_person(user) for user in ticket.cc.all()],
            "custom_fields": {str(k): v for k, v in (ticket.custom_fields or {}).items()},
            "created_at": _when(ticket.created_at),
            "updated_at": _when(ticket.updated_at),
            "solved_at": _when(ticket.solved_at),
            "closed_at": _when(ticket.closed_at),
            "merged_into": None if ticket.merged_into is None else ticket.merged_into.number,
            "version": ticket.version,
        }


_DATETIME = serializers.DateTimeField(read_only=True)


def _when(value: Any) -> str | None:
    """A time as DateTimeField renders it (ISO 8601 in the active zone)."""
    return None if value is None else _DATETIME.to_representation(value)


def _person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "email": user.email, "name": user.display_name}


def _named(row: Any) -> dict[str, Any] | None:
    return None if row is None else {"id": row.pk, "name": row.name}


class CustomerTicketSerializer(_TicketFields):
    """A ticket as its customer sees it in the portal: no internal fields, no note counts."""

    def to_representation(self, instance: Ticket) -> dict[str, Any]:
        data = super().to_representation(instance)
        visible = self.context.get("customer_field_keys", frozenset())
        data["custom_fields"] = {
            k: v for k, v in (data["custom_fields"] or {}).items() if k in visible
        }
        return data


class TicketSerializer(_TicketFields):
    """A ticket as an agent sees it."""

    status = serializers.CharField(source="status.slug", read_only=True)
    priority = serializers.CharField(source="priority.slug", read_only=True)
    priority_overridden = serializers.BooleanField(read_only=True)
    team = NamedRefSerializer(read_only=True, allow_null=True)
    assignee = PersonSerializer(read_only=True, allow_null=True)
    tags = serializers.SerializerMethodField()
    due_at = serializers.DateTimeField(read_only=True, allow_null=True)
    language = serializers.CharField(read_only=True)
    first_response_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_customer_message_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_agent_reply_at = serializers.DateTimeField(read_only=True, allow_null=True)
    reopened_count = serializers.IntegerField(read_only=True)
    agent_reply_count = serializers.IntegerField(read_only=True)
    message_count = serializers.IntegerField(read_only=True)

    def get_tags(self, ticket: Ticket) -> list[str]:
        return [tag.name for tag in ticket.tags.all()]

    def to_representation(self, ticket: Ticket) -> dict[str, Any]:
        data = super().to_representation(ticket)
        data.update(
            {
                "status": ticket.status.slug,
                "priority": ticket.priority.slug,
                "priority_overridden": ticket.priority_overridden,
                "team": _named(ticket.team),
                "assignee": _person(ticket.assignee),
                "tags": self.get_tags(ticket),
                "due_at": _when(ticket.due_at),
                "language": ticket.language,
                "first_response_at": _when(ticket.first_response_at),
                "last_customer_message_at": _when(ticket.last_customer_message_at),
                "last_agent_reply_at": _when(ticket.last_agent_reply_at),
                "reopened_count": ticket.reopened_count,
                "agent_reply_count": ticket.agent_reply_count,
                "message_count": ticket.message_count,
            }
        )
        return data


class TicketCreateSerializer(StrictSerializer):
    """A new request. Customers open tickets for themselves; agents on behalf of anyone."""

    subject = serializers.CharField(max_length=250)
    body = body_field()
    body_html = body_field()
    requester = serializers.EmailField(
        required=False,
        help_text=_("Agents only: the customer the request is for (created when unknown)."),
    )
    requester_name = serializers.CharField(max_length=150, required=False)
    ticket_type = serializers.SlugRelatedField(
        slug_field="slug", queryset=TicketType.objects.filter(active=True), required=False
    )
    urgency = serializers.ChoiceField(choices=Level.choices, required=False)
    impact = serializers.ChoiceField(choices=Level.choices, required=False)
    team = IdField(queryset=Team.objects.all(), required=False, allow_null=True)
    assignee = IdField(
        queryset=User.objects.filter(role__in=STAFF_ROLES, is_active=True),
        required=False,
        allow_null=True,
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=60), max_length=MAX_LIST_ITEMS, required=False
    )
    custom_fields = serializers.DictField(required=False)
    cc = serializers.ListField(
        child=serializers.EmailField(), max_length=MAX_LIST_ITEMS, required=False
    )
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=MAX_ATTACHMENTS
    )

    agent_only = ("requester", "requester_name", "team", "assignee", "tags", "cc")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = self.context["request"].user
        if user.is_agent:
            return attrs
        errors: dict[str, list[str]] = {
            name: [str(_("Only agents set this."))] for name in self.agent_only if name in attrs
        }
        ticket_type = attrs.get("ticket_type")
        if ticket_type is not None and not ticket_type.customer_can_choose:
            errors["ticket_type"] = [str(_("Choose another type of request."))]
        visible = self.context.get("customer_field_keys", frozenset())
        for key in attrs.get("custom_fields") or {}:
            if key not in visible:
                errors[f"custom_fields.{key}"[:100]] = [str(_("Unknown field."))]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class TicketUpdateSerializer(StrictSerializer):
    """Fields to change (agents). Absent keys stay as they are; ``null`` clears."""

    subject = serializers.CharField(max_length=250, required=False)
    ticket_type = serializers.SlugRelatedField(
        slug_field="slug", queryset=TicketType.objects.filter(active=True), required=False
    )
    status = serializers.SlugRelatedField(
        slug_field="slug", queryset=Status.objects.filter(active=True), required=False
    )
    urgency = serializers.ChoiceField(choices=Level.choices, required=False)
    impact = serializers.ChoiceField(choices=Level.choices, required=False)
    priority = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Priority.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("A priority slug to override the matrix; null returns to the computed one."),
    )
    team = IdField(queryset=Team.objects.all(), required=False, allow_null=True)
    assignee = IdField(queryset=User.objects.all(), required=False, allow_null=True)
    requester = serializers.EmailField(required=False)
    organization = IdField(queryset=Organization.objects.all(), required=False, allow_null=True)
    due_at = serializers.DateTimeField(required=False, allow_null=True)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False, allow_blank=True)
    custom_fields = serializers.DictField(required=False)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=60), max_length=MAX_LIST_ITEMS, required=False
    )
    add_tags = serializers.ListField(
        child=serializers.CharField(max_length=60), max_length=MAX_LIST_ITEMS, required=False
    )
    remove_tags = serializers.ListField(
        child=serializers.CharField(max_length=60), max_length=MAX_LIST_ITEMS, required=False
    )
    cc = serializers.ListField(
        child=serializers.EmailField(), max_length=MAX_LIST_ITEMS, required=False
    )
    version = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        help_text=_("The version you read; 409 if it changed."),
    )


class MergeSerializer(StrictSerializer):
    into = TicketNumberField(help_text=_("The number of the ticket to merge into."))


class LinkCreateSerializer(StrictSerializer):
    ticket = TicketNumberField(help_text=_("The number of the ticket to link to."))
    kind = serializers.ChoiceField(choices=LinkKind.choices, default=LinkKind.RELATED)


class LinkSerializer(serializers.Serializer):
    relation = serializers.CharField(read_only=True)
    ticket = serializers.IntegerField(source="other.number", read_only=True)
    subject = serializers.CharField(source="other.subject", read_only=True)
    status_category = serializers.CharField(source="other.status_category", read_only=True)


# --- messages and events --------------------------------------------------------------------


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text=_("Download in a signed-in browser."))
    api_url = serializers.SerializerMethodField(help_text=_("Download with a token."))

    class Meta:
        model = Attachment
        fields = ["id", "filename", "content_type", "size", "inline", "url", "api_url"]
        read_only_fields = fields

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, attachment: Attachment) -> str:
        return self._absolute(reverse("attachment", args=[attachment.pk, attachment.filename]))

    @extend_schema_field(OpenApiTypes.URI)
    def get_api_url(self, attachment: Attachment) -> str:
        return self._absolute(reverse("api:attachment-download", args=[attachment.pk]))


class MessageSerializer(serializers.ModelSerializer):
    ticket = serializers.IntegerField(source="ticket.number", read_only=True)
    author = PersonSerializer(read_only=True, allow_null=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "ticket",
            "kind",
            "author",
            "from_agent",
            "channel",
            "body_text",
            "body_html",
            "created_at",
            "attachments",
        ]
        read_only_fields = fields


class MessageCreateSerializer(StrictSerializer):
    body = body_field()
    body_html = body_field()
    kind = serializers.ChoiceField(
        choices=MessageKind.choices,
        default=MessageKind.PUBLIC,
        help_text=_("note: internal, agents only."),
    )
    status = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Status.objects.filter(active=True),
        required=False,
        help_text=_("Agents only: the status to set with the reply."),
    )
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=MAX_ATTACHMENTS
    )
    version = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "status" in attrs and not self.context["request"].user.is_agent:
            raise serializers.ValidationError({"status": [_("Only agents set this.")]})
        return attrs


class EventSerializer(serializers.ModelSerializer):
    actor = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = TicketEvent
        fields = ["id", "kind", "field", "old_value", "new_value", "data", "actor", "created_at"]
        read_only_fields = fields


# --- people and configuration ---------------------------------------------------------------


class UserSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "name",
            "role",
            "organization",
            "is_org_manager",
            "language",
            "timezone",
            "is_active",
        ]
        read_only_fields = fields


class MeSerializer(UserSerializer):
    teams = NamedRefSerializer(many=True, read_only=True)
    is_agent = serializers.BooleanField(read_only=True)
    sees_all_tickets = serializers.BooleanField(read_only=True)

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "teams", "is_agent", "sees_all_tickets"]
        read_only_fields = fields


class UserCreateSerializer(StrictSerializer):
    """A new customer contact (agents only)."""

    email = serializers.EmailField()
    first_name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
    organization = IdField(queryset=Organization.objects.all(), required=False, allow_null=True)
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES, required=False, allow_blank=True, default=""
    )

    def validate_email(self, value: str) -> str:
        value = value.strip().lower()
        if User.objects.filter(email__iexact=value).exists():
            raise serializers.ValidationError(_("A user with this email address exists."))
        return value


class OrganizationSerializer(serializers.ModelSerializer):
    domains = serializers.SlugRelatedField(slug_field="domain", many=True, read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "name", "domains", "notes", "created_at"]
        read_only_fields = fields

    def to_representation(self, instance: Organization) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not request.user.is_agent:
            # Notes are the desk's own remarks about a customer.
            data.pop("notes", None)
        return data


class TeamSerializer(serializers.ModelSerializer):
    members = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "tier", "escalates_to", "email", "members"]
        read_only_fields = fields


class TagSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class CustomFieldSerializer(serializers.ModelSerializer):
    ticket_types = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = CustomField
        fields = [
            "key",
            "label",
            "field_type",
            "choices",
            "ticket_types",
            "required_on_solve",
            "customer_visible",
            "help_text",
            "position",
            "active",
        ]
        read_only_fields = fields


class MacroSerializer(serializers.ModelSerializer):
    shared = serializers.SerializerMethodField()

    class Meta:
        model = Macro
        fields = ["id", "name", "body", "kind", "actions", "shared", "usage_count"]
        read_only_fields = fields

    def get_shared(self, macro: Macro) -> bool:
        return macro.owner_id is None


class MacroApplySerializer(StrictSerializer):
    ticket = TicketNumberField()
    body = serializers.CharField(
        max_length=BODY_MAX_CHARS,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text=_("The reply as edited; omitted: the macro's own text."),
    )
    version = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False)


class MacroRenderSerializer(StrictSerializer):
    ticket = TicketNumberField()


class MacroApplyResultSerializer(serializers.Serializer):
    ticket = TicketSerializer(read_only=True)
    message = MessageSerializer(read_only=True, allow_null=True)


class MacroRenderResultSerializer(serializers.Serializer):
    body = serializers.CharField(read_only=True)


class SavedViewSerializer(serializers.ModelSerializer):
    shared = serializers.SerializerMethodField()
    count = serializers.SerializerMethodField()

    class Meta:
        model = SavedView
        fields = ["id", "name", "key", "filters", "sort", "shared", "count"]
        read_only_fields = fields

    def get_shared(self, view: SavedView) -> bool:
        return view.owner_id is None

    def get_count(self, view: SavedView) -> int | None:
        return self.context.get("counts", {}).get(view.pk)
