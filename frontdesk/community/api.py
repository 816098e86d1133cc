"""The community forum over REST (mounted under /api/v1/community/).

Reads: exactly what the forum pages show the caller: signed-out callers see categories that
are not for signed-in people only; hidden topics, held posts, hidden posts and spam are for
agents (and a held post for its own author).

Writes (signed in: customers and agents): new topics, replies, votes, accepted answers and
edits go through the forum's services, so the same rules hold as on the pages: first posts
of new members and edits of people whose posts are held wait for a moderator (``status``
"held" in the answer), customers' hourly posting limit (429), locked topics take replies
from agents only. Bad input is a 400 naming the field.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated, Throttled
from rest_framework.request import Request
from rest_framework.response import Response

from frontdesk.api.pagination import ChronologicalCursorPagination, DefaultCursorPagination
from frontdesk.api.permissions import is_agent
from frontdesk.api.serializers import StrictSerializer
from frontdesk.community.models import ForumCategory, Post, Topic
from frontdesk.community.selectors import (
    categories_for,
    post_list_for,
    topic_get_for,
    topic_list_for,
)
from frontdesk.community.services import (
    MAX_BODY,
    PostingTooFast,
    can_edit,
    post_accept,
    post_create,
    post_edit,
    post_vote,
    topic_create,
)
from frontdesk.knowledge.api import ReadersAllowed, reader_of

ID_REGEX = "[0-9]{1,18}"
POST_ID = OpenApiParameter(
    "post_id", int, OpenApiParameter.PATH, description="A post of the topic."
)


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


# --- input -----------------------------------------------------------------------------------


class TopicCreateSerializer(StrictSerializer):
    category = serializers.SlugField(max_length=120, help_text="A forum category slug.")
    title = serializers.CharField(max_length=200)
    body_md = serializers.CharField(max_length=MAX_BODY, help_text="Markdown.")
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)


class PostBodySerializer(StrictSerializer):
    body_md = serializers.CharField(max_length=MAX_BODY, help_text="Markdown.")


class VoteSerializer(StrictSerializer):
    value = serializers.ChoiceField(choices=["up", "down"])


class TopicWithPostSerializer(AgentTopicSerializer):
    first_post = serializers.SerializerMethodField()

    def get_first_post(self, topic: Topic) -> dict[str, Any]:
        return PostSerializer(topic.posts.get(is_first=True)).data


def _writer(request: Request) -> Any:
    """The signed-in caller (401 otherwise: reading is open, writing is not)."""
    if not request.user.is_authenticated:
        raise NotAuthenticated
    return request.user


def _service_call(field: str, call: Any) -> Any:
    """Run a forum service: the hourly limit is a 429; a refusal that names no field names
    ``field`` (what the caller has to change)."""
    try:
        return call()
    except PostingTooFast as exc:
        raise Throttled(detail=" ".join(exc.messages)) from exc
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise
        raise ValidationError({field: exc.messages}) from exc


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
    create=extend_schema(
        summary="Ask: a new topic with its first post (signed in; may be held for review)",
        request=TopicCreateSerializer,
        responses={201: TopicWithPostSerializer},
    ),
)
class TopicViewSet(viewsets.GenericViewSet):
    permission_classes = [ReadersAllowed]
    serializer_class = TopicSerializer
    pagination_class = DefaultCursorPagination
    lookup_value_regex = ID_REGEX
    cursor_ordering = ("-last_post_at", "-id")
    queryset = Topic.objects.none()  # for the schema; reads go through the selectors
    http_method_names = ["get", "post", "head", "options"]

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

    # -- writing (signed in) --

    def create(self, request: Request) -> Response:
        author = _writer(request)
        payload = TopicCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        category = categories_for(author).filter(slug=data["category"]).first()
        if category is None:
            raise ValidationError({"category": [_("No such category.")]})
        language = data.get("language") or (translation.get_language() or "en")[:2]
        topic = _service_call(
            "title",
            lambda: topic_create(
                category=category,
                author=author,
                title=data["title"],
                body_md=data["body_md"],
                language=language,
            ),
        )
        topic = topic_get_for(author, topic.pk)
        return Response(TopicWithPostSerializer(topic).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Reply (signed in; held for review for new members; locked: agents only)",
        request=PostBodySerializer,
        responses={201: PostSerializer},
    )
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: str) -> Response:
        author = _writer(request)
        topic = topic_get_for(author, int(pk))
        payload = PostBodySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        post = _service_call(
            "topic",
            lambda: post_create(
                topic=topic, author=author, body_md=payload.validated_data["body_md"]
            ),
        )
        return Response(PostSerializer(post).data, status=status.HTTP_201_CREATED)

    def _post(self, request: Request, pk: str, post_id: str) -> Post:
        """A post of this topic the caller may see (404 otherwise, as on the pages)."""
        reader = reader_of(request)
        topic = topic_get_for(reader, int(pk))
        post = post_list_for(reader, topic).filter(pk=int(post_id)).first()
        if post is None:
            raise Http404("No such post")
        return post

    @extend_schema(
        summary="Vote a post up or down (again the same: take the vote back)",
        parameters=[POST_ID],
        request=VoteSerializer,
        responses=PostSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"posts/(?P<post_id>[0-9]{1,18})/vote",
        url_name="post-vote",
    )
    def vote(self, request: Request, pk: str, post_id: str) -> Response:
        user = _writer(request)
        post = self._post(request, pk, post_id)
        payload = VoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        value = 1 if payload.validated_data["value"] == "up" else -1
        post = _service_call("post", lambda: post_vote(post=post, user=user, value=value))
        return Response(PostSerializer(post).data)

    @extend_schema(
        summary="Mark the answer that solved it (the asker or an agent; again to unmark)",
        parameters=[POST_ID],
        request=None,
        responses=AgentTopicSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"posts/(?P<post_id>[0-9]{1,18})/accept",
        url_name="post-accept",
    )
    def accept(self, request: Request, pk: str, post_id: str) -> Response:
        user = _writer(request)
        post = self._post(request, pk, post_id)
        topic = _service_call("post", lambda: post_accept(post=post, actor=user))
        return Response(self._serializer()(topic_get_for(user, topic.pk)).data)

    @extend_schema(
        summary="Edit a post (its author or an agent; the earlier text is kept; held for"
        " review when the author's posts are held)",
        parameters=[POST_ID],
        request=PostBodySerializer,
        responses=PostSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"posts/(?P<post_id>[0-9]{1,18})/edit",
        url_name="post-edit",
    )
    def edit(self, request: Request, pk: str, post_id: str) -> Response:
        user = _writer(request)
        post = self._post(request, pk, post_id)
        if not can_edit(post, user):
            raise PermissionDenied(_("Only its author or an agent can edit a post."))
        payload = PostBodySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        body = payload.validated_data["body_md"]
        post = _service_call("body_md", lambda: post_edit(post=post, editor=user, body_md=body))
        return Response(PostSerializer(post).data)
