"""The state machines of performance cycles (docs/performance.md draws them).

Plan:
  draft ──submit (performance manager)──► hr_review
  hr_review ──approve (HR VP, not the submitter)──► vp_review
  hr_review ──return (HR VP, with a reason)──► draft
  vp_review ──parts_approved (when every supervising VP approved their departments)──►
        gm_filing (company-level plans) | assigning (others: ``publish``)
  vp_review ──return (a supervising VP, with a reason)──► draft
  gm_filing ──file (GM)──► assigning;  gm_filing ──return (GM)──► draft
  assigning ──start (performance manager; every department submitted)──► tracking
  tracking ──open_self_evaluation──► self_eval ──open_manager_evaluation──► manager_eval
  manager_eval ──open_calibration──► calibration ──publish_results──► published
  published ──close (after the appeal window; no open appeal)──► closed
  closed ──reopen (HR VP, with a reason)──► calibration

Scorecard (one employee):
  draft ──send (head)──► sent ──confirm (employee)──► confirmed
  sent ──object (employee, with a reason)──► objected ──send (head, revised)──► sent
  confirmed ──self_evaluate (employee; plan in self_eval)──► self_evaluated
  confirmed/self_evaluated ──evaluate (head; plan in manager_eval)──► evaluated
  evaluated ──publish (with the plan's results)──► published
  published ──acknowledge (employee)──► acknowledged
  published ──appeal (employee, within the window)──► appealed
  appealed ──resolve (performance manager, not the appellant)──► published
  evaluated/published/acknowledged ──reopen (with the plan)──► evaluated

Appeal: open ──rescore──► rescored;  open ──reject──► rejected.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from renshi.core.workflow import Transition, Workflow

from .models import Appeal, Plan, Scorecard

P, S, A = Plan.Status, Scorecard.Status, Appeal.Status


def _t(name, sources, target, label):
    return Transition(name, frozenset(sources), target, label)


PLAN = Workflow(
    "status",
    [
        _t("submit", {P.DRAFT}, P.HR_REVIEW, _("Submit for review")),
        _t("hr_approve", {P.HR_REVIEW}, P.VP_REVIEW, _("Approve")),
        _t("hr_return", {P.HR_REVIEW}, P.DRAFT, _("Return")),
        _t("vp_return", {P.VP_REVIEW}, P.DRAFT, _("Return")),
        _t("to_gm", {P.VP_REVIEW}, P.GM_FILING, _("Send to the general manager")),
        _t("publish", {P.VP_REVIEW}, P.ASSIGNING, _("Publish to departments")),
        _t("gm_file", {P.GM_FILING}, P.ASSIGNING, _("File and publish")),
        _t("gm_return", {P.GM_FILING}, P.DRAFT, _("Return")),
        _t("start", {P.ASSIGNING}, P.TRACKING, _("Start the period")),
        _t("open_self_evaluation", {P.TRACKING}, P.SELF_EVALUATION, _("Open self-evaluation")),
        _t(
            "open_manager_evaluation",
            {P.SELF_EVALUATION},
            P.MANAGER_EVALUATION,
            _("Open manager evaluation"),
        ),
        _t("open_calibration", {P.MANAGER_EVALUATION}, P.CALIBRATION, _("Open calibration")),
        _t("publish_results", {P.CALIBRATION}, P.PUBLISHED, _("Publish results")),
        _t("close", {P.PUBLISHED}, P.CLOSED, _("Close")),
        _t("reopen", {P.CLOSED}, P.CALIBRATION, _("Reopen")),
    ],
)

SCORECARD = Workflow(
    "status",
    [
        _t("send", {S.DRAFT, S.OBJECTED}, S.SENT, _("Send to the employee")),
        _t("confirm", {S.SENT}, S.CONFIRMED, _("Confirm")),
        _t("object", {S.SENT}, S.OBJECTED, _("Raise an objection")),
        _t("self_evaluate", {S.CONFIRMED}, S.SELF_EVALUATED, _("Submit self-evaluation")),
        _t("evaluate", {S.CONFIRMED, S.SELF_EVALUATED}, S.EVALUATED, _("Submit evaluation")),
        _t("publish", {S.EVALUATED}, S.PUBLISHED, _("Publish")),
        _t("acknowledge", {S.PUBLISHED}, S.ACKNOWLEDGED, _("Acknowledge")),
        _t("appeal", {S.PUBLISHED}, S.APPEALED, _("Appeal")),
        _t("resolve", {S.APPEALED}, S.PUBLISHED, _("Resolve the appeal")),
        _t("reopen", {S.EVALUATED, S.PUBLISHED, S.ACKNOWLEDGED}, S.EVALUATED, _("Reopen")),
    ],
)

APPEAL = Workflow(
    "status",
    [
        _t("rescore", {A.OPEN}, A.RESCORED, _("Re-score")),
        _t("reject", {A.OPEN}, A.REJECTED, _("Reject")),
    ],
)
