"""REST API v1 (mounted at /api/v1/)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from frontdesk.api import resources, schema, tickets
from frontdesk.community import api as community_api
from frontdesk.knowledge import api as knowledge_api

app_name = "api"


class Router(DefaultRouter):
    include_root_view = True
    include_format_suffixes = False


router = Router(trailing_slash=True)
router.register("tickets", tickets.TicketViewSet, basename="ticket")
router.register("users", resources.UserViewSet, basename="user")
router.register("organizations", resources.OrganizationViewSet, basename="organization")
router.register("teams", resources.TeamViewSet, basename="team")
router.register("tags", resources.TagViewSet, basename="tag")
router.register("custom-fields", resources.CustomFieldViewSet, basename="custom-field")
router.register("macros", resources.MacroViewSet, basename="macro")
router.register("views", resources.SavedViewViewSet, basename="view")
router.register("kb/categories", knowledge_api.CategoryViewSet, basename="kb-category")
router.register("kb/articles", knowledge_api.ArticleViewSet, basename="kb-article")
router.register(
    "community/categories", community_api.ForumCategoryViewSet, basename="forum-category"
)
router.register("community/topics", community_api.TopicViewSet, basename="forum-topic")

urlpatterns = [
    path("schema/", schema.SchemaView.as_view(), name="schema"),
    path("docs/", schema.DocsView.as_view(url_name="api:schema"), name="docs"),
    path("me/", resources.MeView.as_view(), name="me"),
    path(
        "attachments/<int:attachment_id>/",
        resources.AttachmentDownloadView.as_view(),
        name="attachment-download",
    ),
    path("kb/search/", knowledge_api.SearchView.as_view(), name="kb-search"),
    *router.urls,
]
