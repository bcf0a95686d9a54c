"""Zendesk plans: which plan-gated exports (``Stream.plan_feature``) an account's plan offers.

Skill-based routing is Enterprise only (docs/zendesk-api.md). An export its plan does not offer answers 403 with
Zendesk's generic access-denied body, the same body a user without the role gets (Zendesk's help centre lists "a
feature not available on your current plan level" among the causes of that one message), so nothing in the body
says which of the two it is.
"""

from __future__ import annotations

from zd_pipeline.catalogue import Stream
from zd_pipeline.simulator.paging import ApiError

PLANS: dict[str, frozenset[str]] = {
    "team": frozenset(),
    "professional": frozenset(),
    "enterprise": frozenset({"skill_based_routing"}),
}
DEFAULT_PLAN = "enterprise"
ACCESS_DENIED = (
    "You do not have access to this page. Please contact the account owner of this help desk for further help."
)


def check_plan(plan: str) -> str:
    """``plan`` if it is a known plan name; raises ``ValueError`` naming the choices."""
    if plan not in PLANS:
        raise ValueError(f"unknown plan {plan!r}: choose one of {', '.join(PLANS)}")
    return plan


def refuse_unless_offered(plan: str, stream: Stream) -> None:
    """Raise the 403 Zendesk answers when ``stream`` needs a feature ``plan`` does not include."""
    if stream.plan_feature is not None and stream.plan_feature not in PLANS[plan]:
        raise ApiError(403, "Forbidden", ACCESS_DENIED)
