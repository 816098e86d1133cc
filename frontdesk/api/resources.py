"""People, organizations and desk configuration over REST, each scoped by who asks."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontdesk.accounts.models import Role
from frontdesk.accounts.services import user_create
from frontdesk.api.filters import sort_ordering, sort_queryset
from frontdesk.api.pagination import ByNameCursorPagination
from frontdesk.api.permissions import IsAgent
from frontdesk.api.selectors import (
    agent_q,
    custom_field_list_for,
    macro_get_for,
    macro_list_for,
    organization_list_for,
    saved_view_get_for,
    saved_view_list_for,
    tag_list,
    team_list,
    ticket_page_queryset,
    ticket_reload,
    user_list_for,
    user_search,
)
from frontdesk.api.serializers import (
    CustomFieldSerializer,
    MacroApplyResultSerializer,
    MacroApplySerializer,
    MacroRenderResultSerializer,
    MacroRenderSerializer,
    MacroSerializer,
    MeSerializer,
    OrganizationSerializer,
    SavedViewSerializer,
    TagSerializer,
    TeamSerializer,
    TicketSerializer,
    UserCreateSerializer,
    UserSerializer,
)
from frontdesk.api.tickets import ticket_for_field
from frontdesk.tickets.models import SavedView
from frontdesk.tickets.queues import SORTS, view_counts, view_queryset
from frontdesk.tickets.selectors import attachment_get_for
from frontdesk.tickets.services import macro_apply, macro_render
from frontdesk.tickets.views import attachment_response

ID_REGEX = "[0-9]{1,18}"


@extend_schema_view(
    list=extend_schema(
        summary="Contacts and agents (customers: only themselves)",
        parameters=[
            OpenApiParameter("q", str, description="Words in the name or email address."),
            OpenApiParameter(
                "role", str, enum=["customer", "agent"], description="agent: all desk staff."
            ),
            OpenApiParameter("organization", int),
        ],
    ),
    create=extend_schema(
        summary="Add a customer contact (agents)",
        request=UserCreateSerializer,
        responses={201: UserSerializer},
    ),
)
class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = UserSerializer
    lookup_value_regex = ID_REGEX
    cursor_ordering = ("id",)

    def get_queryset(self) -> Any:
        queryset = user_list_for(self.request.user)
        if self.action != "list":
            return queryset
        params = self.request.query_params
        if params.get("q", "").strip():
            queryset = user_search(queryset, params["q"][:200])
        role = params.get("role", "")
        if role == "agent":
            queryset = queryset.filter(agent_q())
        elif role == "customer":
            queryset = queryset.filter(role=Role.CUSTOMER)
        elif role:
            raise ValidationError({"role": [_("Use customer or agent.")]})
        organization = params.get("organization", "")
        if organization:
            if not (organization.isascii() and organization.isdigit() and len(organization) < 19):
                raise ValidationError({"organization": [_("Use an id.")]})
            queryset = queryset.filter(organization_id=int(organization))
        return queryset

    def get_permissions(self) -> list[Any]:
        if self.action == "create":
            return [IsAgent()]
        return super().get_permissions()

    def create(self, request: Request) -> Response:
        payload = UserCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = user_create(role=Role.CUSTOMER, **payload.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class OrganizationViewSet(viewsets.ReadOnlyModelViewSet):
    """Agents see every organization; a customer only their own."""

    serializer_class = OrganizationSerializer
    pagination_class = ByNameCursorPagination
    lookup_value_regex = ID_REGEX

    def get_queryset(self) -> Any:
        return organization_list_for(self.request.user)


class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TeamSerializer
    permission_classes = [IsAgent]
    pagination_class = None
    lookup_value_regex = ID_REGEX

    def get_queryset(self) -> Any:
        return team_list()


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Tags starting with this."),
        ]
    )
)
class TagViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = TagSerializer
    permission_classes = [IsAgent]
    pagination_class = ByNameCursorPagination

    def get_queryset(self) -> Any:
        queryset = tag_list()
        prefix = self.request.query_params.get("q", "").strip().lower()
        return queryset.filter(name__startswith=prefix[:60]) if prefix else queryset


class CustomFieldViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Field definitions; customers see only those they fill in themselves."""

    serializer_class = CustomFieldSerializer
    pagination_class = None

    def get_queryset(self) -> Any:
        return custom_field_list_for(self.request.user)


class MacroViewSet(viewsets.ReadOnlyModelViewSet):
    """Shared macros and the agent's own."""

    serializer_class = MacroSerializer
    permission_classes = [IsAgent]
    pagination_class = None
    lookup_value_regex = ID_REGEX

    def get_queryset(self) -> Any:
        return macro_list_for(self.request.user)

    def get_object(self) -> Any:
        return macro_get_for(self.request.user, int(self.kwargs["pk"]))

    @extend_schema(
        summary="Apply a macro to a ticket",
        request=MacroApplySerializer,
        responses=MacroApplyResultSerializer,
    )
    @action(detail=True, methods=["post"])
    def apply(self, request: Request, pk: str) -> Response:
        macro = self.get_object()
        payload = MacroApplySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        ticket = ticket_for_field(request.user, data["ticket"], "ticket")
        try:
            message = macro_apply(
                macro=macro,
                ticket=ticket,
                actor=request.user,
                body_text=data.get("body"),
                expected_version=data.get("version"),
            )
        except ObjectDoesNotExist as exc:
            # The macro names a status, team or agent that has since been removed.
            raise ValidationError(
                {
                    "macro": [
                        _(
                            "This macro refers to something that no "
                            "longer exists; ask an admin to fix it."
                        )
                    ]
                }
            ) from exc
        ticket = ticket_reload(ticket)
        if message is not None:
            message.ticket = ticket
        result = {"ticket": ticket, "message": message}
        return Response(MacroApplyResultSerializer(result, context={"request": request}).data)

    @extend_schema(
        summary="The macro's text for a ticket (for an editor)",
        parameters=[OpenApiParameter("ticket", int, required=True)],
        responses=MacroRenderResultSerializer,
    )
    @action(detail=True, methods=["get"])
    def render(self, request: Request, pk: str) -> Response:
        macro = self.get_object()
        payload = MacroRenderSerializer(data=request.query_params.dict())
        payload.is_valid(raise_exception=True)
        ticket = ticket_for_field(request.user, payload.validated_data["ticket"], "ticket")
        return Response({"body": macro_render(macro=macro, ticket=ticket, agent=request.user)})


class SavedViewViewSet(viewsets.GenericViewSet):
    """The agent's sidebar views with live counts, and the tickets in each."""

    serializer_class = SavedViewSerializer
    queryset = SavedView.objects.none()  # for the schema; reads go through the selectors
    permission_classes = [IsAgent]
    lookup_value_regex = ID_REGEX
    cursor_ordering: tuple[str, ...] | None = None

    @extend_schema(responses=SavedViewSerializer(many=True))
    def list(self, request: Request) -> Response:
        views = saved_view_list_for(request.user)
        counts = view_counts(views, user=request.user)
        return Response(SavedViewSerializer(views, many=True, context={"counts": counts}).data)

    @extend_schema(responses=SavedViewSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        view = saved_view_get_for(request.user, int(pk))
        counts = view_counts([view], user=request.user)
        return Response(SavedViewSerializer(view, context={"counts": counts}).data)

    @extend_schema(
        summary="Tickets in the view, in its sort order", responses=TicketSerializer(many=True)
    )
    @action(detail=True, methods=["get"])
    def tickets(self, request: Request, pk: str) -> Response:
        view = saved_view_get_for(request.user, int(pk))
        sort = view.sort if view.sort in SORTS else "-updated_at"
        self.cursor_ordering = sort_ordering(sort)
        queryset = ticket_page_queryset(sort_queryset(view_queryset(view, user=request.user), sort))
        page = self.paginate_queryset(queryset)
        data = TicketSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)


class MeView(APIView):
    """Who the token or session belongs to."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


class AttachmentDownloadView(APIView):
    """A file for token-authenticated clients (the desk's own link needs a browser session).

    The same permission check as the desk's download view: only people who may see the
    ticket (and, for files on internal notes, only staff) get the file.
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request: Request, attachment_id: int) -> FileResponse:
        return attachment_response(attachment_get_for(request.user, attachment_id))
