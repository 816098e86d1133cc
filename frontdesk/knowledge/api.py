"""The knowledge base over REST (mounted under /api/v1/kb/).

Readers (also signed out, unless ``KB_API_ANONYMOUS`` is off) get exactly what the help
center shows them: published articles they may read, one per article in their language
with a fallback, categories with something readable in them, and the same search. Agents
also read drafts and articles in review, write (every save is a revision) and move
articles through the workflow; who may publish is the services' decision, as in the UI.
Thin on purpose: parse, call one selector or service, render.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled
from rest_framework.fields import empty
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontdesk.accounts.models import User
from frontdesk.api.fields import IdField
from frontdesk.api.pagination import DefaultCursorPagination
from frontdesk.api.permissions import IsAgent, is_agent
from frontdesk.api.serializers import StrictSerializer
from frontdesk.customers.models import Organization
from frontdesk.knowledge.models import (
    Article,
    ArticleGroup,
    Category,
    RevisionState,
    Section,
    Status,
    Visibility,
)
from frontdesk.knowledge.search import kb_search
from frontdesk.knowledge.selectors import (
    article_get_by_id_for,
    article_list_for_reader,
    article_list_manage,
    article_list_visible,
    categories_for,
    revisions_for,
)
from frontdesk.knowledge.services import (
    LANGUAGES,
    anonymous_feedback_allowed,
    article_create,
    article_transition,
    article_update,
    article_viewed,
    can_publish,
    edit_needs_review,
    feedback_record,
    revision_decline,
    revision_publish,
    translation_create,
)

ID_REGEX = "[0-9]{1,18}"
BODY_MAX_CHARS = 200_000
MAX_TAGS = 30


# --- who may call ----------------------------------------------------------------------------


class ReadersAllowed(BasePermission):
    """Anyone, also without credentials, unless the site turned signed-out API reads off
    (``KB_API_ANONYMOUS = False``); then a token or session is needed (401)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.user and request.user.is_authenticated:
            return True
        return bool(getattr(settings, "KB_API_ANONYMOUS", True))


class AgentsWrite(ReadersAllowed):
    """Reads as ``ReadersAllowed``; anything else is for desk staff."""

    message = "Only desk staff may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return super().has_permission(request, view)
        return is_agent(request)


def reader_of(request: Request) -> User | None:
    return request.user if request.user.is_authenticated else None


def language_param(request: Request) -> str:
    """``?language=en|sv``, else the request's language (profile, then the browser's)."""
    value = request.query_params.get("language", "").strip()
    if value:
        if value not in LANGUAGES:
            raise ValidationError(
                {"language": [_("Use one of: %(v)s") % {"v": ", ".join(LANGUAGES)}]}
            )
        return value
    return "sv" if (translation.get_language() or "en").startswith("sv") else "en"


# --- output ----------------------------------------------------------------------------------


class SectionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    slug = serializers.CharField(read_only=True)


class SectionSerializer(SectionRefSerializer):
    description = serializers.CharField(read_only=True)


class CategorySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    slug = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    sections = SectionSerializer(many=True, read_only=True, source="readable_sections")


class ArticleSerializer(serializers.Serializer):
    """An article as a reader sees it in a list (no body)."""

    id = serializers.IntegerField(read_only=True)
    group = serializers.IntegerField(source="group_id", read_only=True)
    language = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    slug = serializers.CharField(read_only=True)
    section = SectionRefSerializer(source="group.section", read_only=True)
    category = serializers.CharField(source="group.section.category.slug", read_only=True)
    url = serializers.SerializerMethodField()
    is_fallback = serializers.SerializerMethodField(
        help_text="True when the article is not in the language asked for."
    )
    translation_outdated = serializers.BooleanField(source="outdated", read_only=True)
    published_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_url(self, article: Article) -> str:
        path = reverse(
            "knowledge:article", args=[article.language, article.group.section.slug, article.slug]
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_is_fallback(self, article: Article) -> bool:
        wanted = self.context.get("language")
        return bool(wanted) and article.language != wanted


class AgentArticleFieldsMixin(serializers.Serializer):
    """What only desk staff read about an article: its state and audience."""

    status = serializers.CharField(read_only=True)
    publish_at = serializers.DateTimeField(read_only=True)
    visibility = serializers.CharField(source="group.visibility", read_only=True)
    organizations = serializers.SerializerMethodField()
    version = serializers.IntegerField(read_only=True)
    helpful_yes = serializers.IntegerField(read_only=True)
    helpful_no = serializers.IntegerField(read_only=True)

    def get_organizations(self, article: Article) -> list[int]:
        return sorted(o.pk for o in article.group.organizations.all())


class AgentArticleSerializer(AgentArticleFieldsMixin, ArticleSerializer):
    pass


class TranslationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    language = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)


class ArticleDetailSerializer(ArticleSerializer):
    """One article with its text (HTML sanitized with nh3, safe to show) and languages."""

    body_html = serializers.CharField(read_only=True)
    tags = serializers.SerializerMethodField()
    translations = serializers.SerializerMethodField()

    def get_tags(self, article: Article) -> list[str]:
        return [t.name for t in article.group.tags.all()]

    def get_translations(self, article: Article) -> list[dict[str, Any]]:
        others = self.context.get("translations", [])
        return TranslationRefSerializer(others, many=True).data  # type: ignore[return-value]


class AgentArticleDetailSerializer(AgentArticleFieldsMixin, ArticleDetailSerializer):
    body_md = serializers.CharField(read_only=True)
    related = serializers.SerializerMethodField()

    def get_related(self, article: Article) -> list[int]:
        return sorted(g.pk for g in article.group.related.all())


class RevisionSerializer(serializers.Serializer):
    number = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    body_md = serializers.CharField(read_only=True)
    author = serializers.IntegerField(source="author_id", read_only=True, allow_null=True)
    note = serializers.CharField(read_only=True)
    state = serializers.ChoiceField(
        choices=RevisionState.choices,
        read_only=True,
        help_text="review: an agent's change to a published article, not live yet.",
    )
    created_at = serializers.DateTimeField(read_only=True)


class SearchHitSerializer(serializers.Serializer):
    kind = serializers.CharField(read_only=True, help_text="article or thread")
    id = serializers.IntegerField(source="object_id", read_only=True)
    title = serializers.CharField(read_only=True)
    url = serializers.CharField(read_only=True)
    language = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True, help_text="Section or forum category.")
    snippet = serializers.CharField(
        read_only=True, help_text="Escaped text with the matched words in <mark>."
    )


class SearchResultSerializer(serializers.Serializer):
    query = serializers.CharField(read_only=True)
    corrected = serializers.CharField(
        read_only=True, help_text="The spelling searched instead, when nothing matched."
    )
    results = SearchHitSerializer(many=True, read_only=True, source="hits")


# --- input -----------------------------------------------------------------------------------


def _tags_field() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=60), max_length=MAX_TAGS, required=False
    )


class ArticleCreateSerializer(StrictSerializer):
    section = IdField(queryset=Section.objects.all())
    language = serializers.ChoiceField(choices=settings.LANGUAGES, default="en")
    title = serializers.CharField(max_length=200)
    body_md = serializers.CharField(
        max_length=BODY_MAX_CHARS, allow_blank=True, default="", trim_whitespace=False
    )
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.PUBLIC)
    organizations = serializers.ListField(
        child=IdField(queryset=Organization.objects.all()), max_length=100, required=False
    )
    tags = _tags_field()


class ArticleUpdateSerializer(StrictSerializer):
    title = serializers.CharField(max_length=200, required=False)
    body_md = serializers.CharField(
        max_length=BODY_MAX_CHARS, allow_blank=True, required=False, trim_whitespace=False
    )
    note = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")
    section = IdField(queryset=Section.objects.all(), required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    organizations = serializers.ListField(
        child=IdField(queryset=Organization.objects.all()), max_length=100, required=False
    )
    tags = _tags_field()
    related = serializers.ListField(
        child=IdField(queryset=ArticleGroup.objects.all()), max_length=50, required=False,
        help_text="Article group ids (the ``group`` of an article).",
    )  # fmt: skip


class TransitionSerializer(StrictSerializer):
    to = serializers.ChoiceField(choices=Status.choices)
    publish_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class RevisionDecisionSerializer(StrictSerializer):
    decision = serializers.ChoiceField(
        choices=["publish", "decline"],
        help_text="publish: the change becomes the live text; decline: it stays in history.",
    )


class TranslationCreateSerializer(StrictSerializer):
    language = serializers.ChoiceField(choices=settings.LANGUAGES)
    title = serializers.CharField(max_length=200)
    body_md = serializers.CharField(
        max_length=BODY_MAX_CHARS, allow_blank=True, default="", trim_whitespace=False
    )


class RequiredBooleanField(serializers.BooleanField):
    """A yes/no that must be sent: in a form, a missing box is not a "no" here."""

    default_empty_html = empty


class FeedbackSerializer(StrictSerializer):
    helpful = RequiredBooleanField(
        help_text=gettext_lazy("Was this article helpful? true or false.")
    )
    comment = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")


class FeedbackResultSerializer(serializers.Serializer):
    helpful = serializers.BooleanField(read_only=True)
    comment = serializers.CharField(read_only=True)


# --- views -----------------------------------------------------------------------------------


class CategoryViewSet(viewsets.GenericViewSet):
    """Categories holding something the caller may read, with those sections."""

    permission_classes = [ReadersAllowed]
    serializer_class = CategorySerializer
    pagination_class = None
    queryset = Category.objects.none()  # for the schema; reads go through the selectors

    @extend_schema(summary="Help-center categories and their sections")
    def list(self, request: Request) -> Response:
        categories = categories_for(reader_of(request))
        for category in categories:
            category.readable_sections = list(category.sections.all())
        return Response(CategorySerializer(categories, many=True).data)


LIST_PARAMETERS = [
    OpenApiParameter("language", str, enum=list(LANGUAGES), description="Default: yours."),
    OpenApiParameter("category", str, description="A category slug."),
    OpenApiParameter("section", str, description="A section slug."),
    OpenApiParameter(
        "status",
        str,
        enum=Status.values,
        description="Agents only: every article in this state, every language.",
    ),
]


@extend_schema_view(
    list=extend_schema(
        summary="Articles the caller may read, one per article in the caller's language",
        parameters=LIST_PARAMETERS,
        responses=AgentArticleSerializer(many=True),
    ),
    retrieve=extend_schema(
        summary="One article (agents: also drafts and articles in review)",
        parameters=[
            OpenApiParameter(
                "language",
                str,
                enum=list(LANGUAGES),
                description="Answer with this language version when there is one.",
            )
        ],
        responses=AgentArticleDetailSerializer,
    ),
    create=extend_schema(
        summary="Write a new article (agents; a draft, revision 1)",
        request=ArticleCreateSerializer,
        responses={201: AgentArticleDetailSerializer},
    ),
    partial_update=extend_schema(
        summary="Change text (a new revision) and/or settings (agents); an agent's text for"
        " a published article waits for review (202), its settings need a publisher (403)",
        request=ArticleUpdateSerializer,
        responses={200: AgentArticleDetailSerializer, 202: AgentArticleDetailSerializer},
    ),
)
class ArticleViewSet(viewsets.GenericViewSet):
    permission_classes = [AgentsWrite]
    serializer_class = ArticleSerializer
    pagination_class = DefaultCursorPagination
    lookup_value_regex = ID_REGEX
    http_method_names = ["get", "post", "patch", "head", "options"]
    cursor_ordering = ("-id",)
    queryset = Article.objects.none()  # for the schema; reads go through the selectors

    # -- reading --

    def list(self, request: Request) -> Response:
        reader = reader_of(request)
        params = request.query_params
        language = language_param(request)
        wanted_status = params.get("status", "").strip()
        if wanted_status:
            if not is_agent(request):
                raise ValidationError({"status": [_("Only agents can list articles by state.")]})
            if wanted_status not in Status.values:
                raise ValidationError(
                    {"status": [_("Use one of: %(v)s") % {"v": ", ".join(Status.values)}]}
                )
            articles = article_list_manage(user=request.user, status=wanted_status)
            if params.get("language"):
                articles = articles.filter(language=language)
        else:
            articles = article_list_for_reader(reader, language)
        for key, lookup in (
            ("category", "group__section__category__slug"),
            ("section", "group__section__slug"),
        ):
            value = params.get(key, "").strip()
            if value:
                articles = articles.filter(**{lookup: value[:120]})
        articles = articles.select_related("group__section__category").prefetch_related(
            "group__organizations"
        )
        page = self.paginate_queryset(articles)
        serializer = AgentArticleSerializer if is_agent(request) else ArticleSerializer
        context = {"request": request, "language": "" if wanted_status else language}
        return self.get_paginated_response(serializer(page, many=True, context=context).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        reader = reader_of(request)
        article = article_get_by_id_for(reader, int(pk))
        wanted = request.query_params.get("language", "").strip()
        if wanted:
            wanted = language_param(request)
            if article.language != wanted:
                mine = (
                    article_list_visible(reader)
                    .filter(group_id=article.group_id, language=wanted)
                    .first()
                )
                if mine is not None:
                    article = article_get_by_id_for(reader, mine.pk)
        if not is_agent(request):
            article_viewed(article=article)
        return Response(self._detail(request, article, language=wanted))

    def _detail(self, request: Request, article: Article, *, language: str = "") -> Any:
        reader = reader_of(request)
        others = article_list_visible(reader).filter(group_id=article.group_id)
        if is_agent(request):
            others = Article.objects.filter(group_id=article.group_id)
        context = {
            "request": request,
            "language": language,
            "translations": list(others.exclude(pk=article.pk).only("pk", "language", "title")),
        }
        serializer = AgentArticleDetailSerializer if is_agent(request) else ArticleDetailSerializer
        return serializer(article, context=context).data

    # -- writing (agents) --

    def create(self, request: Request) -> Response:
        payload = ArticleCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        article = article_create(
            section=data["section"],
            language=data["language"],
            title=data["title"],
            body_md=data["body_md"],
            author=request.user,
            visibility=data["visibility"],
            organizations=data.get("organizations", []),
            tags=data.get("tags", []),
        )
        article = article_get_by_id_for(request.user, article.pk)
        return Response(self._detail(request, article), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        article = article_get_by_id_for(request.user, int(pk))
        payload = ArticleUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        text_changes = data.get("title") is not None or data.get("body_md") is not None
        for_review = text_changes and edit_needs_review(article=article, user=request.user)
        article_update(
            article=article,
            actor=request.user,
            title=data.get("title"),
            body_md=data.get("body_md"),
            note=data.get("note", ""),
            section=data.get("section"),
            visibility=data.get("visibility"),
            organizations=data.get("organizations"),
            tags=data.get("tags"),
            related=data.get("related"),
        )
        article = article_get_by_id_for(request.user, article.pk)
        # 202: the new text waits for review (a revision in state "review"); readers still
        # get the published text.
        code = status.HTTP_202_ACCEPTED if for_review else status.HTTP_200_OK
        return Response(self._detail(request, article), status=code)

    @extend_schema(
        summary="Move through draft, in review, published, archived (publishing: supervisors"
        " and admins)",
        request=TransitionSerializer,
        responses=AgentArticleDetailSerializer,
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAgent])
    def transition(self, request: Request, pk: str) -> Response:
        article = article_get_by_id_for(request.user, int(pk))
        payload = TransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            article_transition(
                article=article,
                to=payload.validated_data["to"],
                actor=request.user,
                publish_at=payload.validated_data["publish_at"],
            )
        except ValidationError as exc:
            # The service names no field: the move itself is what cannot be made.
            raise ValidationError({"to": exc.messages}) from exc
        article = article_get_by_id_for(request.user, article.pk)
        return Response(self._detail(request, article))

    @extend_schema(
        summary="Add another language version (agents; starts as a draft)",
        request=TranslationCreateSerializer,
        responses={201: AgentArticleDetailSerializer},
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAgent])
    def translations(self, request: Request, pk: str) -> Response:
        source = article_get_by_id_for(request.user, int(pk))
        payload = TranslationCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        article = translation_create(
            source=source,
            language=data["language"],
            title=data["title"],
            body_md=data["body_md"],
            author=request.user,
        )
        article = article_get_by_id_for(request.user, article.pk)
        return Response(self._detail(request, article), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Every saved version, newest first (agents)",
        responses=RevisionSerializer(many=True),
    )
    @action(detail=True, methods=["get"], permission_classes=[IsAgent], pagination_class=None)
    def revisions(self, request: Request, pk: str) -> Response:
        article = article_get_by_id_for(request.user, int(pk))
        return Response(RevisionSerializer(revisions_for(request.user, article), many=True).data)

    @extend_schema(
        summary="Publish or decline an agent's change waiting for review (supervisors and admins)",
        parameters=[
            OpenApiParameter(
                "number", int, OpenApiParameter.PATH, description="The revision's number."
            )
        ],
        request=RevisionDecisionSerializer,
        responses=AgentArticleDetailSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAgent],
        url_path=r"revisions/(?P<number>[0-9]{1,9})/decide",
        url_name="revision-decide",
    )
    def revision_decide(self, request: Request, pk: str, number: str) -> Response:
        article = article_get_by_id_for(request.user, int(pk))
        revision = revisions_for(request.user, article).filter(number=int(number)).first()
        if revision is None:
            raise Http404("No such revision")
        if not can_publish(request.user):
            raise PermissionDenied(_("Only supervisors and admins can publish or decline."))
        payload = RevisionDecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            if payload.validated_data["decision"] == "publish":
                revision_publish(revision=revision, actor=request.user)
            else:
                revision_decline(revision=revision, actor=request.user)
        except ValidationError as exc:
            raise ValidationError({"decision": exc.messages}) from exc
        article = article_get_by_id_for(request.user, article.pk)
        return Response(self._detail(request, article))

    # -- readers' feedback --

    @extend_schema(
        summary='"Was this helpful?": one answer per reader; answering again changes it',
        request=FeedbackSerializer,
        responses=FeedbackResultSerializer,
    )
    @action(detail=True, methods=["post"], permission_classes=[ReadersAllowed])
    def feedback(self, request: Request, pk: str) -> Response:
        reader = reader_of(request)
        article = article_get_by_id_for(reader, int(pk))
        if article.status != Status.PUBLISHED:
            raise ValidationError({"helpful": [_("Only published articles take answers.")]})
        payload = FeedbackSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        address = request.META.get("REMOTE_ADDR", "")
        if reader is None and not anonymous_feedback_allowed(address=address):
            raise Throttled(detail=_("Too many answers from here; please try again later."))
        given = feedback_record(
            article=article,
            helpful=payload.validated_data["helpful"],
            reader_key=_reader_key(request),
            user=reader,
            comment=payload.validated_data["comment"],
        )
        return Response(FeedbackResultSerializer(given).data)


def _reader_key(request: Request) -> str:
    """A signed-in caller is one reader; a signed-out one is its browser session if it has
    one (the help widget), else its address."""
    if request.user.is_authenticated:
        return f"u:{request.user.pk}"
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        return "s:" + hashlib.sha256(session_key.encode()).hexdigest()[:40]
    address = request.META.get("REMOTE_ADDR", "")
    return "a:" + hashlib.sha256(address.encode()).hexdigest()[:40]


class SearchView(APIView):
    """The help-center search: articles and forum threads the caller may read, ranked."""

    permission_classes = [ReadersAllowed]

    @extend_schema(
        summary="Search articles and forum threads",
        parameters=[
            OpenApiParameter("q", str, required=True, description="What to look for."),
            OpenApiParameter("type", str, enum=["article", "thread"]),
            OpenApiParameter("language", str, enum=list(LANGUAGES)),
            OpenApiParameter("category", str, description="A help-center category slug."),
            OpenApiParameter("limit", int, description="1 to 50, default 20."),
        ],
        responses=SearchResultSerializer,
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        errors: dict[str, list[str]] = {}
        query = params.get("q", "").strip()
        if not query:
            errors["q"] = [_("Say what to look for.")]
        elif len(query) > 200:
            errors["q"] = [_("Use at most 200 characters.")]
        kind = params.get("type", "")
        if kind and kind not in {"article", "thread"}:
            errors["type"] = [_("Use article or thread.")]
        language = params.get("language", "")
        if language and language not in LANGUAGES:
            errors["language"] = [_("Use one of: %(v)s") % {"v": ", ".join(LANGUAGES)}]
        limit_text = params.get("limit", "20")
        limit = int(limit_text) if limit_text.isascii() and limit_text.isdigit() else 0
        if not 1 <= limit <= 50:
            errors["limit"] = [_("Use a number from 1 to 50.")]
        if errors:
            raise ValidationError(errors)
        results = kb_search(
            reader_of(request),
            query,
            kinds=[kind] if kind else [],
            language=language,
            category=params.get("category", "")[:120],
            reader_language=language or language_param(request),
            limit=limit,
        )
        for hit in results.hits:
            hit.url = request.build_absolute_uri(hit.url)
        return Response(SearchResultSerializer(results).data)
