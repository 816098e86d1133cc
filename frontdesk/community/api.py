"""The community forum over REST, read-only (mounted under /api/v1/community/).

Exactly what the forum pages show the caller: signed-out callers see categories that are
not for signed-in people only; hidden topics, held posts, hidden posts and spam are for
agents (and a held post for its own author). Posting stays on the pages for now.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from frontdesk.api.pagination import ChronologicalCursorPagination, DefaultCursorPagination
from frontdesk.api.permissions import is_agent
from frontdesk.community.models import ForumCategory, Topic
from frontdesk.community.selectors import (
    categories_for,
    post_list_for,
    topic_get_for,
    topic_list_for,
)
from frontdesk.knowledge.api import ReadersAllowed, reader_of

ID_REGEX = "[0-9]{1,18}"


class ForumCategorySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    slug = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    signed_in_only = serializers.BooleanField(read_only=True)


class AuthorSerializer(serializers.Serializer):
    """Who wrote it, as the forum shows it: a name, never an email address."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        return user.first_name or user.display_name.split("@")[0]


class TopicSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    category = serializers.CharField(source="category.slug", read_only=True)
    author = AuthorSerializer(read_only=True)
    language = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    last_post_at = serializers.DateTimeField(read_only=True)
    reply_count = serializers.IntegerField(read_only=True)
    pinned = serializers.BooleanField(read_only=True)
    locked = serializers.BooleanField(read_only=True)
    accepted_post = serializers.IntegerField(source="accepted_post_id", read_only=True)


class AgentTopicSerializer(TopicSerializer):
    hidden = serializers.BooleanField(read_only=True)


class PostSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    author = AuthorSerializer(read_only=True)
    body_html = serializers.CharField(
        read_only=True, help_text="Rendered from Markdown and sanitized with nh3."
    )
    is_first = serializers.BooleanField(read_only=True)
    by_agent = serializers.BooleanField(read_only=True, help_text="A support-team answer.")
    score = serializers.IntegerField(read_only=True)
    status = serializers.CharField(
        read_only=True, help_text="visible; held (only its author and agents see it)..."
    )
    created_at = serializers.DateTimeField(read_only=True)
    edited_at = serializers.DateTimeField(read_only=True)


class ForumCategoryViewSet(viewsets.GenericViewSet):
    permission_classes = [ReadersAllowed]
    serializer_class = ForumCategorySerializer
    pagination_class = None
    queryset = ForumCategory.objects.none()  # for the schema; reads go through the selectors

    @extend_schema(summary="Forum categories the caller may read")
    def list(self, request: Request) -> Response:
        return Response(ForumCategorySerializer(categories_for(reader_of(request)), many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="Topics the caller may read, latest activity first",
        parameters=[OpenApiParameter("category", str, description="A forum category slug.")],
        responses=AgentTopicSerializer(many=True),
    ),
    retrieve=extend_schema(summary="One topic", responses=AgentTopicSerializer),
)
class TopicViewSet(viewsets.GenericViewSet):
    permission_classes = [ReadersAllowed]
    serializer_class = TopicSerializer
    pagination_class = DefaultCursorPagination
    lookup_value_regex = ID_REGEX
    cursor_ordering = ("-last_post_at", "-id")
    queryset = Topic.objects.none()  # for the schema; reads go through the selectors

    def _serializer(self) -> type[TopicSerializer]:
        return AgentTopicSerializer if is_agent(self.request) else TopicSerializer

    def list(self, request: Request) -> Response:
        topics = topic_list_for(reader_of(request))
        category = request.query_params.get("category", "").strip()
        if category:
            if not categories_for(reader_of(request)).filter(slug=category[:120]).exists():
                raise ValidationError({"category": [_("No such category.")]})
            topics = topics.filter(category__slug=category)
        page = self.paginate_queryset(topics)
        return self.get_paginated_response(self._serializer()(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        topic = topic_get_for(reader_of(request), int(pk))
        return Response(self._serializer()(topic).data)

    @extend_schema(
        summary="The topic's posts the caller may read, oldest first",
        responses=PostSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=ChronologicalCursorPagination)
    def posts(self, request: Request, pk: str) -> Response:
        reader = reader_of(request)
        topic = topic_get_for(reader, int(pk))
        self.cursor_ordering = ("created_at", "id")
        page = self.paginate_queryset(post_list_for(reader, topic))
        return self.get_paginated_response(PostSerializer(page, many=True).data)
