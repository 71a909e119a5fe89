"""The service-level view (issue 10) for leads and admins: run charts of teach-back, goals,
measures, Ask 3 and engagement over all patients; the explanations that fail most; content
feedback next to the chunk it concerns; CSV exports.

Aggregates only: no page or file here names a patient or carries a person or sender id, and
any figure over fewer than 5 patients shows as "<5". Every view writes an audit entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from bot.content import versions
from bot.content.teachback import load_modules
from bot.improvement import aggregates
from bot.improvement.suppression import MIN_PATIENTS, SUPPRESSED
from bot.portal.auth import current_staff, require_role
from bot.portal.exports import csv_text
from bot.portal.pages import audit, render, run_db
from bot.portal.run_charts import RunChartView, build
from bot.store.models import utcnow

ROLES = ("lead", "admin")


def _csv(rows: Sequence[Sequence[str]]) -> str:
    # Cells a spreadsheet will not run as formulas in any locale (patients' words are in
    # feedback): quoted, and `=+-@` neutralised at the start and after `,` `;` or tab.
    return csv_text(None, rows)


def _download(body: str, filename: str) -> web.Response:
    return web.Response(
        text=body,
        content_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _groups(found: Sequence[aggregates.Metric]) -> list[tuple[str, list[RunChartView]]]:
    groups: dict[str, list[RunChartView]] = {}
    for metric in found:
        groups.setdefault(metric.group, []).append(build(metric))
    return list(groups.items())


@require_role(*ROLES)
async def overview_page(request: web.Request) -> web.Response:
    """GET /portal/lead: every run chart, the failing explanations, feedback, stories."""
    staff = current_staff(request)
    lock = versions.read_lock()

    def load(session: Session) -> aggregates.Overview:
        audit(session, staff, "read", None, "lead_overview")
        return aggregates.overview(session, utcnow(), lock)

    found = await run_db(request, load)
    context: dict[str, Any] = {
        "groups": _groups(found.metrics),
        "key_points": found.key_points,
        "modules": found.modules,
        "feedback": found.feedback,
        "stories": found.stories,
        "min_patients": MIN_PATIENTS,
        "hidden": SUPPRESSED,
    }
    return render(request, "lead.html", context)


@require_role(*ROLES)
async def module_page(request: web.Request) -> web.Response:
    """GET /portal/lead/modules/{module_id}: a module's chunks, changes and feedback."""
    staff = current_staff(request)
    module_id = request.match_info["module_id"]
    module = load_modules().get(module_id)
    if module is None:
        raise web.HTTPNotFound(text="no such teach-back module")
    lock = versions.read_lock()

    def load(session: Session) -> tuple[aggregates.Metric, list[aggregates.ChunkView], list[Any]]:
        audit(session, staff, "read", None, f"lead_module:{module_id}")
        answers = aggregates.first_try_answers(session)
        [metric] = [
            m
            for m in aggregates.teachback_metrics(
                [a for a in answers if a.module_id == module_id], lock
            )
            if m.key == f"teachback:{module_id}"
        ] or [
            aggregates.Metric(
                f"teachback:{module_id}", "Teach-back", "First-try understanding", "%", 0, 1, ()
            )
        ]
        chunks = aggregates.chunk_views(session, module_id, answers, lock)
        whole = [
            f
            for f in aggregates.feedback_rows(session, item_kind="module", item_id=module_id)
            if f.chunk_id is None and f.suggestion
        ]
        return metric, chunks, whole

    metric, chunks, whole = await run_db(request, load)
    context: dict[str, Any] = {
        "title": module.title.en,
        "version": module.version,
        "module_chart": build(metric),
        "chunks": [
            {
                "chunk_id": c.chunk_id,
                "text": c.text,
                "chart": build(c.metric),
                "before_after": c.before_after,
                "feedback": c.feedback,
                "clarity": c.clarity,
            }
            for c in chunks
        ],
        "whole": whole,
        "min_patients": MIN_PATIENTS,
        "hidden": SUPPRESSED,
    }
    return render(request, "lead_module.html", context)


@require_role(*ROLES)
async def metrics_csv(request: web.Request) -> web.Response:
    """GET /portal/lead/metrics.csv: every run chart's weekly points."""
    staff = current_staff(request)
    lock = versions.read_lock()

    def load(session: Session) -> list[list[str]]:
        audit(session, staff, "exported", None, "lead_metrics_csv")
        return aggregates.metrics_csv_rows(aggregates.metrics(session, utcnow(), lock))

    return _download(_csv(await run_db(request, load)), "service-run-charts.csv")


@require_role(*ROLES)
async def teachback_csv(request: web.Request) -> web.Response:
    """GET /portal/lead/teachback.csv: first-try rates per module, chunk and key point."""
    staff = current_staff(request)

    def load(session: Session) -> list[list[str]]:
        audit(session, staff, "exported", None, "lead_teachback_csv")
        answers = aggregates.first_try_answers(session)
        rows = aggregates.rate_csv_rows(aggregates.rate_rows(answers, "key_point"))
        rows += aggregates.rate_csv_rows(aggregates.rate_rows(answers, "chunk"))[1:]
        rows += aggregates.rate_csv_rows(aggregates.rate_rows(answers, "module"))[1:]
        return rows

    return _download(_csv(await run_db(request, load)), "teachback-first-try.csv")


@require_role(*ROLES)
async def feedback_csv(request: web.Request) -> web.Response:
    """GET /portal/lead/feedback.csv: content feedback, without who gave it."""
    staff = current_staff(request)

    def load(session: Session) -> list[list[str]]:
        audit(session, staff, "exported", None, "lead_feedback_csv")
        return aggregates.feedback_csv_rows(aggregates.feedback_rows(session))

    return _download(_csv(await run_db(request, load)), "content-feedback.csv")


def add_routes(portal: web.Application) -> None:
    """The lead's routes, under /portal/lead."""
    portal.router.add_get("/lead", overview_page)
    portal.router.add_get("/lead/modules/{module_id}", module_page)
    portal.router.add_get("/lead/metrics.csv", metrics_csv)
    portal.router.add_get("/lead/teachback.csv", teachback_csv)
    portal.router.add_get("/lead/feedback.csv", feedback_csv)
