"""Forms of the knowledge-base editor: they parse what an agent typed; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontdesk.customers.models import Organization
from frontdesk.knowledge.models import ArticleGroup, Section, Status, Visibility

LANGUAGE_CHOICES = [("en", _("English")), ("sv", _("Swedish"))]


def _markdown_widget() -> forms.Textarea:
    return forms.Textarea(
        attrs={
            "rows": 18,
            "class": "kb-markdown",
            "hx-post": "",  # set by the view: the preview URL
            "hx-trigger": "input changed delay:600ms",
            "hx-target": "#kb-preview",
            "hx-swap": "innerHTML",
        }
    )


class TextForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body_md = forms.CharField(
        label=_("Text (Markdown)"),
        required=False,
        widget=_markdown_widget(),
        help_text=_("# headings, **bold**, - lists, [links](https://…), ![images](…)"),
    )
    note = forms.CharField(label=_("What changed (optional)"), max_length=200, required=False)

    def __init__(self, *args: Any, preview_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body_md"].widget.attrs["hx-post"] = preview_url


class NewArticleForm(TextForm):
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    section = forms.ModelChoiceField(
        label=_("Section"), queryset=Section.objects.select_related("category"), empty_label=None
    )
    visibility = forms.ChoiceField(label=_("Who may read it"), choices=Visibility.choices)
    organizations = forms.ModelMultipleChoiceField(
        label=_("Organizations"),
        queryset=Organization.objects.all(),
        required=False,
        help_text=_("Only for “Specific organizations”."),
    )
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separated by commas."))


class SettingsForm(forms.Form):
    section = forms.ModelChoiceField(
        label=_("Section"), queryset=Section.objects.select_related("category"), empty_label=None
    )
    visibility = forms.ChoiceField(label=_("Who may read it"), choices=Visibility.choices)
    organizations = forms.ModelMultipleChoiceField(
        label=_("Organizations"), queryset=Organization.objects.all(), required=False
    )
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separated by commas."))
    related = forms.ModelMultipleChoiceField(
        label=_("Related articles"), queryset=ArticleGroup.objects.none(), required=False
    )

    def __init__(self, *args: Any, group: ArticleGroup, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["related"]
        field.queryset = ArticleGroup.objects.exclude(pk=group.pk).prefetch_related("translations")
        field.label_from_instance = lambda g: (
            " / ".join(a.title for a in g.translations.all()) or str(g)
        )


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=Status.choices)
    publish_at = forms.DateTimeField(
        label=_("Publish at (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Category name"), max_length=120)
    description = forms.CharField(label=_("Description"), max_length=250, required=False)


class SectionForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Section.objects.none(), empty_label=None
    )
    name = forms.CharField(label=_("Section name"), max_length=120)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from frontdesk.knowledge.models import Category

        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.all()


def tag_list(value: str) -> list[str]:
    return [t.strip() for t in value.split(",") if t.strip()]
