"""Tickets, their conversation, events and links over REST.

Thin on purpose: parse the payload, call one selector or service, render. Visibility is
the selectors' (a ticket someone may not see is a 404); writes are the services'.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from frontdesk.accounts.models import User
from frontdesk.accounts.selectors import user_find_by_email
from frontdesk.accounts.services import customer_get_or_create
from frontdesk.api.filters import (
    TICKET_LIST_PARAMETERS,
    sort_ordering,
    sort_queryset,
    ticket_filter_q,
)
from frontdesk.api.pagination import ChronologicalCursorPagination
from frontdesk.api.permissions import is_agent
from frontdesk.api.selectors import (
    customer_visible_field_keys,
    ticket_api_list_for,
    ticket_prefetch,
    ticket_reload,
)
from frontdesk.api.serializers import (
    CustomerTicketSerializer,
    EventSerializer,
    LinkCreateSerializer,
    LinkSerializer,
    MergeSerializer,
    MessageCreateSerializer,
    MessageSerializer,
    TicketCreateSerializer,
    TicketSerializer,
    TicketUpdateSerializer,
)
from frontdesk.search.selectors import MATCH_LIMIT, ticket_search
from frontdesk.tickets.attachments import incoming_files
from frontdesk.tickets.intake import InboundMessage
from frontdesk.tickets.models import Channel, LinkKind, Message, Ticket
from frontdesk.tickets.selectors import (
    event_list_for,
    link_list_for,
    message_list_for,
    ticket_get_for,
)
from frontdesk.tickets.services import (
    message_add,
    message_receive,
    ticket_link,
    ticket_merge,
    ticket_set_status_by_requester,
    ticket_update,
)

PARSERS = [JSONParser, MultiPartParser, FormParser]


def errors_renamed(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    """A service's error keyed by its argument names, re-keyed by this API's field names."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({names.get(k, k): v for k, v in exc.message_dict.items()})


def ticket_for_field(user: User, number: int, field: str) -> Ticket:
    """A ticket named in a payload; one the user may not see is just "no such ticket"."""
    try:
        return ticket_get_for(user, number)
    except Http404 as exc:
        raise ValidationError({field: [_("No such ticket.")]}) from exc


@extend_schema_view(
    list=extend_schema(
        summary="List tickets",
        parameters=TICKET_LIST_PARAMETERS,
        responses=TicketSerializer(many=True),
    ),
    retrieve=extend_schema(summary="Get a ticket by number", responses=TicketSerializer),
)
class TicketViewSet(viewsets.GenericViewSet):
    """Tickets the caller may see. Customers get the portal's view of them."""

    lookup_field = "number"
    lookup_value_regex = "[0-9]{1,18}"
    serializer_class = TicketSerializer
    parser_classes = PARSERS
    http_method_names = ["get", "post", "patch", "head", "options"]
    cursor_ordering: tuple[str, ...] | None = None

    def get_queryset(self) -> Any:
        return ticket_api_list_for(self.request.user)

    def get_object(self) -> Ticket:
        return ticket_get_for(self.request.user, int(self.kwargs[self.lookup_field]))

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        user = self.request.user
        if (
            not getattr(self, "swagger_fake_view", False)
            and user.is_authenticated
            and not user.is_agent
        ):
            # Read once per request, however many serializers ask.
            if not hasattr(self, "_customer_field_keys"):
                self._customer_field_keys = customer_visible_field_keys()
            context["customer_field_keys"] = self._customer_field_keys
        return context

    def ticket_data(self, instance: Any, *, many: bool = False) -> Any:
        serializer_class = TicketSerializer if is_agent(self.request) else CustomerTicketSerializer
        return serializer_class(instance, many=many, context=self.get_serializer_context()).data

    def require_agent(self) -> None:
        if not is_agent(self.request):
            raise PermissionDenied(_("Only desk staff may do this."))

    # --- tickets ----------------------------------------------------------------------------

    def list(self, request: Request) -> Response:
        queryset = self.get_queryset().filter(
            ticket_filter_q(request.query_params, user=request.user)
        )
        query = request.query_params.get("q", "").strip()
        if query:
            return self._search(queryset, query)
        sort = request.query_params.get("sort", "").strip()
        self.cursor_ordering = sort_ordering(sort) if sort else None
        queryset = sort_queryset(queryset, sort)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.ticket_data(page, many=True))

    def _search(self, queryset: Any, query: str) -> Response:
        """Ranked matches fit one page: relevance has no stable cursor to page on."""
        size = self.paginator.get_page_size(self.request) or 25
        ranked = [t.pk for t in ticket_search(self.request.user, query[:200], limit=MATCH_LIMIT)]
        rows = {t.pk: t for t in queryset.filter(pk__in=ranked)}
        found = [rows[pk] for pk in ranked if pk in rows][:size]
        return Response(
            {"next": None, "previous": None, "results": self.ticket_data(found, many=True)}
        )

    def retrieve(self, request: Request, number: str) -> Response:
        return Response(self.ticket_data(ticket_prefetch(self.get_object())))

    @extend_schema(
        summary="Open a ticket", request=TicketCreateSerializer, responses={201: TicketSerializer}
    )
    def create(self, request: Request) -> Response:
        payload = TicketCreateSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        user = request.user
        requester = user_find_by_email(data["requester"]) if data.get("requester") else user
        cc = [user_find_by_email(email) for email in data.get("cc", [])]
        # Addresses nobody has yet become customers in the ticket's own transaction (a
        # refused ticket creates no one). Known people need no outer transaction: the
        # service's is the only one (no savepoint round trips).
        unknown = requester is None or None in cc
        with transaction.atomic() if unknown else nullcontext():
            if requester is None:
                requester = customer_get_or_create(
                    email=data["requester"], name=data.get("requester_name", "")
                )
            cc = [
                found or customer_get_or_create(email=email)
                for found, email in zip(cc, data.get("cc", []), strict=True)
            ]
            message = message_receive(
                inbound=InboundMessage(
                    channel=Channel.API,
                    author=user,
                    requester=requester,
                    subject=data["subject"],
                    body_text=data.get("body", ""),
                    body_html=data.get("body_html", ""),
                    ticket_type=data.get("ticket_type"),
                    urgency=data.get("urgency"),
                    impact=data.get("impact"),
                    custom_fields=data.get("custom_fields") or {},
                    cc=cc,
                    tags=data.get("tags", []),
                    team=data.get("team"),
                    assignee=data.get("assignee"),
                    attachments=incoming_files(data.get("attachments", [])),
                )
            )
        ticket = message.ticket
        location = reverse("api:ticket-detail", args=[ticket.number])
        return Response(
            self.ticket_data(ticket),
            status=status.HTTP_201_CREATED,
            headers={"Location": request.build_absolute_uri(location)},
        )

    @extend_schema(
        summary="Change a ticket (agents)",
        request=TicketUpdateSerializer,
        responses={
            200: TicketSerializer,
            409: OpenApiResponse(description="The ticket changed since the given version."),
        },
    )
    def partial_update(self, request: Request, number: str) -> Response:
        ticket = self.get_object()
        self.require_agent()
        payload = TicketUpdateSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        changes = dict(payload.validated_data)
        version = changes.pop("version", None)
        with transaction.atomic():
            if "requester" in changes:
                changes["requester"] = customer_get_or_create(email=changes["requester"])
            if "cc" in changes:
                changes["cc"] = [customer_get_or_create(email=e) for e in changes["cc"]]
            if changes:
                ticket_update(
                    ticket=ticket, actor=request.user, changes=changes, expected_version=version
                )
        return Response(self.ticket_data(ticket_reload(ticket)))

    # --- actions ----------------------------------------------------------------------------

    @extend_schema(
        summary="Merge this ticket into another (agents)",
        request=MergeSerializer,
        responses=TicketSerializer,
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, number: str) -> Response:
        source = self.get_object()
        self.require_agent()
        payload = MergeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        target = ticket_for_field(request.user, payload.validated_data["into"], "into")
        try:
            ticket_merge(source=source, target=target, actor=request.user)
        except ValidationError as exc:
            raise errors_renamed(exc, {"target": "into", "source": "non_field_errors"}) from exc
        return Response(self.ticket_data(ticket_reload(target)))

    @extend_schema(methods=["GET"], summary="Linked tickets", responses=LinkSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        summary="Link another ticket (agents)",
        request=LinkCreateSerializer,
        responses={201: LinkSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def links(self, request: Request, number: str) -> Response:
        ticket = self.get_object()
        if request.method == "GET":
            links = [
                {"relation": label, "other": other}
                for label, other in link_list_for(request.user, ticket)
            ]
            return Response(LinkSerializer(links, many=True).data)
        self.require_agent()
        payload = LinkCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        other = ticket_for_field(request.user, payload.validated_data["ticket"], "ticket")
        kind = payload.validated_data["kind"]
        try:
            ticket_link(source=ticket, target=other, kind=kind, actor=request.user)
        except ValidationError as exc:
            raise errors_renamed(exc, {"target": "ticket"}) from exc
        relation = "parent of" if kind == LinkKind.PARENT else "related"
        return Response(
            LinkSerializer({"relation": relation, "other": other}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Mark my request solved (customers)",
        request=None,
        responses=CustomerTicketSerializer,
    )
    @action(detail=True, methods=["post"])
    def solve(self, request: Request, number: str) -> Response:
        return self._requester_status(solve=True)

    @extend_schema(
        summary="Reopen my solved request (customers)",
        request=None,
        responses=CustomerTicketSerializer,
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, number: str) -> Response:
        return self._requester_status(solve=False)

    def _requester_status(self, *, solve: bool) -> Response:
        ticket = self.get_object()
        user = self.request.user
        if is_agent(self.request) and not (
            ticket.requester_id == user.pk or ticket.cc.filter(pk=user.pk).exists()
        ):
            # As in the portal: staff use these only on their own requests; on others'
            # tickets they change status with PATCH, where required fields are enforced.
            raise PermissionDenied(_("Agents set the status with PATCH."))
        ticket_set_status_by_requester(ticket=ticket, actor=self.request.user, solve=solve)
        return Response(self.ticket_data(ticket_reload(ticket)))

    @extend_schema(summary="The ticket's event log (agents)", responses=EventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=ChronologicalCursorPagination)
    def events(self, request: Request, number: str) -> Response:
        ticket = self.get_object()
        self.require_agent()
        page = self.paginate_queryset(event_list_for(ticket))
        return self.get_paginated_response(EventSerializer(page, many=True).data)

    @extend_schema(
        methods=["GET"],
        summary="The conversation (customers never see notes)",
        responses=MessageSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Reply or add an internal note",
        request={
            "application/json": MessageCreateSerializer,
            "multipart/form-data": MessageCreateSerializer,
        },
        responses={201: MessageSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=ChronologicalCursorPagination)
    def messages(self, request: Request, number: str) -> Response:
        ticket = self.get_object()
        context = self.get_serializer_context()
        if request.method == "GET":
            page = self.paginate_queryset(message_list_for(request.user, ticket))
            for message in page:
                message.ticket = ticket  # known already; saves a query per row
            return self.get_paginated_response(
                MessageSerializer(page, many=True, context=context).data
            )
        payload = MessageCreateSerializer(data=request.data, context=context)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        message: Message = message_add(
            ticket=ticket,
            author=request.user,
            body_text=data.get("body", ""),
            body_html=data.get("body_html", ""),
            kind=data["kind"],
            channel=Channel.API,
            attachments=incoming_files(data.get("attachments", [])),
            status=data.get("status"),
            expected_version=data.get("version"),
        )
        return Response(
            MessageSerializer(message, context=context).data, status=status.HTTP_201_CREATED
        )
