"""Pages of the ai app: the portal answer bot, triage and cluster actions, unanswered
questions for agents, and the admin's settings page. Thin: parse, call, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from frontdesk.ai import bot, embeddings, selectors, services, similar, triage
from frontdesk.ai.models import BotAnswer, ClusterAlert, TriageSuggestion
from frontdesk.desk.permissions import admin_required, agent_required
from frontdesk.tickets.selectors import ticket_get_for


def _language(request: HttpRequest) -> str:
    return (getattr(request.user, "language", "") or get_language() or "en")[:10]


@login_required
def ask(request: HttpRequest) -> HttpResponse:
    """The answer bot: a question in the customer's words; the answer swaps in (htmx)."""
    question = (request.POST.get("question") or request.GET.get("q") or "").strip()
    answer = result = None
    if request.method == "POST" and question:
        result = bot.bot_answer(request.user, question, language=_language(request))
        answer = services.bot_answer_record(result=result, user=request.user)
    context = {"question": question, "result": result, "answer": answer, "section": "help"}
    if request.headers.get("HX-Request"):
        return render(request, "ai/_answer.html", context)
    return render(request, "ai/ask.html", context)


def _own_answer(request: HttpRequest, pk: int) -> BotAnswer:
    answer = BotAnswer.objects.filter(pk=pk, user_id=request.user.pk).first()
    if answer is None:
        raise Http404("No such answer")
    return answer


@login_required
@require_POST
def answer_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """ "It helped" records it; "That did not help" (or a decline) hands over to a person."""
    answer = _own_answer(request, pk)
    ticket = None
    if request.POST.get("helped") == "yes":
        services.bot_feedback(answer=answer, helped=True)
    else:
        ticket = services.bot_handover(answer=answer, user=request.user)
    context = {"answer": answer, "ticket": ticket}
    if request.headers.get("HX-Request"):
        return render(request, "ai/_handover.html", context)
    if ticket is not None:
        messages.success(request, _("We passed your question to our team."))
        return redirect("portal:request_detail", ticket.number)
    messages.success(request, _("Thanks: glad it helped."))
    return redirect("ai:ask")


@agent_required
def unanswered(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "ai/unanswered.html",
        {"answers": selectors.unanswered_questions(), "stats": selectors.bot_stats()},
    )


@agent_required
@require_POST
def answer_draft(request: HttpRequest, pk: int) -> HttpResponse:
    answer = get_object_or_404(BotAnswer, pk=pk)
    article_id = services.bot_question_to_draft(answer=answer, actor=request.user)
    messages.success(request, _("Draft created from the question."))
    return redirect("knowledge:edit", article_id)


@agent_required
@require_POST
def suggestion_apply(request: HttpRequest, number: int, pk: int) -> HttpResponse:
    """One click on a triage suggestion of a ticket the agent may see."""
    ticket = ticket_get_for(request.user, number)
    suggestion = get_object_or_404(TriageSuggestion, pk=pk, ticket=ticket)
    try:
        triage.suggestion_apply(suggestion=suggestion, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(field)s set to %(value)s.")
            % {"field": triage.field_label(suggestion.field), "value": suggestion.label},
        )
    return redirect("desk:ticket", ticket.number)


def _supervisor(request: HttpRequest) -> None:
    if not request.user.sees_all_tickets:
        raise PermissionDenied


@agent_required
def cluster(request: HttpRequest, pk: int) -> HttpResponse:
    _supervisor(request)
    alert = get_object_or_404(ClusterAlert, pk=pk)
    return render(
        request, "ai/cluster.html", {"alert": alert, "tickets": selectors.cluster_tickets(alert)}
    )


@agent_required
@require_POST
def cluster_link(request: HttpRequest, pk: int) -> HttpResponse:
    _supervisor(request)
    alert = get_object_or_404(ClusterAlert, pk=pk)
    parent = similar.cluster_link(alert=alert, actor=request.user)
    messages.success(
        request, _("All tickets linked under #%(number)s.") % {"number": parent.number}
    )
    return redirect("desk:ticket", parent.number)


@admin_required
def settings_page(request: HttpRequest) -> HttpResponse:
    """Mode, bot threshold with its calibration, triage precision before auto-apply."""
    from frontdesk.ai.forms import AiSettingsForm

    current = services.ai_settings()
    form = AiSettingsForm(request.POST or None, instance_values=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.ai_settings_save(changes=form.changes())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("AI settings saved."))
            return redirect("ai:settings")
    return render(
        request,
        "ai/settings.html",
        {
            "form": form,
            "status": embeddings.status() if "backend" in embeddings._state else None,
            "expected": embeddings.expected_mode(),
            "model": selectors.triage_report(),
            "calibration": selectors.bot_calibration(),
            "alerts": ClusterAlert.objects.all()[:10],
        },
    )


@admin_required
@require_POST
def train(request: HttpRequest) -> HttpResponse:
    model = triage.triage_train()
    if model is None:
        messages.error(request, _("Not enough solved tickets to learn from yet."))
    else:
        messages.success(request, _("Triage retrained on %(n)d tickets.") % {"n": model.n_train})
    return redirect("ai:settings")
