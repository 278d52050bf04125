"""360 review pages: the 360 home (my requests; plans where I choose raters), a plan's
scorecards for choosing raters, the rater selection of a scorecard, removing a rater, the
questionnaire and the aggregate.

Views parse input, call ``selectors_360`` / ``services_360`` and render. A scorecard out of
sight answers 404; a visible scorecard the user may not choose raters on (or see the 360 of)
answers 403; another person's request answers 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from renshi.core import access
from renshi.core.htmx import render_page
from renshi.org.forms import apply_validation_error
from renshi.org.views import INVALID

from . import selectors_360 as selectors
from . import services_360 as services
from .forms_360 import AnswerForm, RaterAddForm
from .models import Plan, Rater360


def _require(user, permission: str) -> None:
    if not access.has_perm(user, permission):
        raise PermissionDenied


@login_required
@require_http_methods(["GET"])
def r360_home(request: HttpRequest) -> HttpResponse:
    _require(request.user, "performance.view")
    context = {
        "requests": selectors.my_requests(user=request.user),
        "plans": selectors.plans_for_chooser(user=request.user),
    }
    return render_page(request, "performance/r360/home.html", context)


@login_required
@require_http_methods(["GET"])
def r360_cards(request: HttpRequest, pk: int) -> HttpResponse:
    plan = access.get_object_or_404(Plan, request.user, pk=pk)
    _require(request.user, "performance.choose_raters")
    context = {
        "plan": plan,
        "has_360": services.plan_has_360(plan),
        "cards": selectors.cards_for_chooser(user=request.user, plan=plan),
    }
    return render_page(request, "performance/r360/cards.html", context)


def _raters_context(request: HttpRequest, card, form: RaterAddForm | None = None) -> dict:
    query = request.GET.get("q", "")[:50]
    asked, answered = selectors.answer_counts(card=card)
    plan = card.plan
    return {
        "card": card,
        "plan": plan,
        "has_360": services.plan_has_360(plan),
        "can_choose": plan.status in services.CHOOSE_STATUSES and services.plan_has_360(plan),
        "raters": selectors.card_raters(user=request.user, card=card),
        "asked": asked,
        "answered": answered,
        "candidates": selectors.rater_candidates(card=card, query=query),
        "query": query,
        "form": form or RaterAddForm(),
        "minimum": selectors.scoring.MIN_360_RATERS,
    }


@login_required
@require_http_methods(["GET", "POST"])
def r360_raters(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the raters of a scorecard and suggestions (htmx: the candidates block for a
    search). POST: ask the chosen people."""
    card = selectors.card_for_chooser(user=request.user, pk=pk)
    template = "performance/r360/raters.html"
    if request.method == "GET":
        partial = "candidates" if "q" in request.GET else None
        return render_page(request, template, _raters_context(request, card), partial=partial)
    form = RaterAddForm(request.POST)
    if form.is_valid():
        try:
            created = services.rater360_assign(
                actor=request.user, scorecard=card, rater_ids=form.cleaned_data["raters"]
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("%(count)s rater(s) were asked.") % {"count": len(created)})
            return redirect("performance:r360_raters", pk=card.pk)
    return render_page(request, template, _raters_context(request, card, form), status=INVALID)


@login_required
@require_http_methods(["POST"])
def r360_rater_remove(request: HttpRequest, pk: int) -> HttpResponse:
    row = access.get_object_or_404(Rater360, request.user, pk=pk)
    card = selectors.card_for_chooser(user=request.user, pk=row.scorecard_id)
    try:
        services.rater360_remove(actor=request.user, rater=row)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return render_page(
            request,
            "performance/r360/raters.html",
            _raters_context(request, card),
            status=INVALID,
        )
    messages.success(request, _("The rater was removed."))
    return redirect("performance:r360_raters", pk=card.pk)


@login_required
@require_http_methods(["GET", "POST"])
def r360_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The questionnaire of one of my requests (once; while the plan is in evaluation)."""
    row = selectors.my_request(user=request.user, pk=pk)
    plan = row.scorecard.plan
    questions = services.questions(plan)
    form = AnswerForm(request.POST or None, questions=questions)
    context = {
        "row": row,
        "plan": plan,
        "employee": row.scorecard.employee,
        "open": services.answer_open(plan) and row.answered_at is None,
        "form": form,
    }
    template = "performance/r360/answer.html"
    if request.method == "GET":
        return render_page(request, template, context)
    if form.is_valid():
        try:
            services.answer360_submit(
                actor=request.user,
                request=row,
                ratings=form.ratings(),
                comment=form.cleaned_data.get("comment") or "",
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Thank you: your answer was recorded."))
            return redirect(reverse("performance:r360_home"))
    return render_page(request, template, context, status=INVALID)


@login_required
@require_http_methods(["GET"])
def r360_aggregate(request: HttpRequest, pk: int) -> HttpResponse:
    card = selectors.card_for_aggregate(user=request.user, pk=pk)
    context = {
        "card": card,
        "plan": card.plan,
        "result": selectors.aggregate(card=card),
    }
    return render_page(request, "performance/r360/aggregate.html", context)
