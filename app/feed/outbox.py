"""Which feed rows an audit event produces. Pure: the caller passes the holders and the receiving orgs.

A feed organization (the court sub-center) receives an event when it held the case before it, holds it after
it, resolved it, or the event is addressed to it (a judicial-confirmation request and its answer). When the
case leaves it (declined, escalated, withdrawn by a supervisor before it accepted…), the event is delivered
as ``case.routed_away`` so its system can close its own record.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

ROUTED_AWAY = "case.routed_away"


def feed_rows(
    events: Sequence[dict[str, Any]],
    holders: Sequence[int | None],
    final_holder: int | None,
    resolved_by: int | None,
    feed_orgs: Collection[int],
    addressees: Sequence[int | None] | None = None,
) -> list[dict[str, Any]]:
    """``holders[i]`` held the case before ``events[i]``; after the last event ``final_holder`` does;
    ``addressees[i]`` is the organization ``events[i]`` is addressed to, if any."""
    rows = []
    afters = [*holders[1:], final_holder]
    to = addressees if addressees is not None else [None] * len(events)
    for event, before, after, addressee in zip(events, holders, afters, to, strict=True):
        receivers = {o for o in (before, after, resolved_by, addressee) if o is not None and o in feed_orgs}
        for org in sorted(receivers):
            leaving = before == org and after != org and resolved_by != org
            rows.append(
                {
                    "organization_id": org,
                    "case_id": event["case_id"],
                    "type": ROUTED_AWAY if leaving else event["type"],
                    "case_version": event["case_version"],
                    "data": {"event": event["type"], **event.get("data", {})},
                    "occurred_at": event["occurred_at"],
                }
            )
    return rows
