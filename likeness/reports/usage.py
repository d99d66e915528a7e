"""The usage report of one performer's likeness: every decision, job, model and output, with the grant versions
each relied on, as one viewer may read them. One structure for the page, the CSV and the PDF, so they cannot
disagree; the views only choose the performer and send the result."""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from django.utils import timezone

from likeness.access.scope import decisions_visible_to, jobs_visible_to, models_visible_to, outputs_visible_to
from likeness.consent.models import ConsentGrant
from likeness.consent.selectors import grant_effective_status
from likeness.people.models import Performer


def _grant_label(grant: ConsentGrant) -> str:
    return grant.label


def usage_report(user: Any, performer: Performer) -> dict[str, Any]:
    """Everything done with one performer's likeness: decisions, jobs, models and outputs, with the grant
    versions each relied on. One structure for the page, the CSV and the PDF, so they cannot disagree."""
    decisions = list(decisions_visible_to(user).filter(performer=performer).select_related("production")
                     .prefetch_related("grants").order_by("created_at"))
    jobs = list(jobs_visible_to(user).filter(performer=performer)
                .select_related("production", "submit_decision", "output", "likeness_model")
                .prefetch_related("submit_decision__grants").order_by("created_at"))
    models = list(models_visible_to(user).filter(performer=performer).select_related("grant").order_by("created_at"))
    outs = list(outputs_visible_to(user).filter(performer=performer)
                .select_related("release_decision", "approved_by", "declined_by").order_by("created_at"))
    grants: dict[int, ConsentGrant] = {}
    for d in decisions:
        for g in d.grants.all():
            grants[g.pk] = g
    for m in models:
        grants[m.grant.pk] = m.grant
    for o in outs:
        grants[o.grant.pk] = o.grant
    rows: list[dict[str, Any]] = []
    for d in decisions:
        rows.append({"record": "decision", "id": str(d.pk), "date": d.created_at, "production": d.production.title,
                     "use": f"{d.use} ({d.get_purpose_display().lower()})", "outcome": d.outcome,
                     "grants": ", ".join(_grant_label(g) for g in d.grants.all()), "detail": d.explanation})
    for j in jobs:
        params = j.params or {}
        what = (f"aging to {params.get('target_age')} ({params.get('frames', '?')} frames)" if j.kind == "aging"
                else f"training ({params.get('size', '')} {params.get('steps', '')} steps)".replace("  ", " "))
        relied = j.submit_decision.grants.all() if j.submit_decision else []
        rows.append({"record": "job", "id": str(j.pk), "date": j.created_at, "production": j.production.title,
                     "use": what, "outcome": j.state, "grants": ", ".join(_grant_label(g) for g in relied),
                     "detail": (j.state_reason or "")
                     + (f" output {str(j.output_id)[:8]}" if j.output_id else "")})
    for m in models:
        ended = (f"quarantined {m.quarantined_at:%Y-%m-%d}: {m.quarantine_reason}" if m.quarantined_at else
                 f"destroyed {m.destroyed_at:%Y-%m-%d}" if m.destroyed_at else "")
        rows.append({"record": "model", "id": str(m.pk), "date": m.created_at, "production": "",
                     "use": f"{m.size} model, ages {'-'.join(str(a) for a in m.age_range or [])}", "outcome": m.status,
                     "grants": _grant_label(m.grant),
                     "detail": f"weights {m.weights_sha256[:16]} {ended}".strip()})
    for o in outs:
        review = (f"approved by {o.approved_by.get_username()}: {o.approval_note}" if o.approved_by else
                  f"declined by {o.declined_by.get_username()}: {o.decline_note}" if o.declined_by else "")
        released = f"released {o.released_at:%Y-%m-%d %H:%M}" if o.released_at else ""
        rows.append({"record": "output", "id": str(o.pk), "date": o.created_at, "production": o.production.title,
                     "use": o.decision.use if o.decision_id else "", "outcome": o.status,
                     "grants": _grant_label(o.grant),
                     "detail": "; ".join(x for x in (released, review, f"sha256 {o.sha256[:16]}",
                                                     "consent revoked after release" if o.consent_revoked_at else "")
                                         if x)})
    return {
        "performer": performer, "generated_at": timezone.now(),
        "decisions": decisions, "jobs": jobs, "models": models, "outputs": outs,
        "grants": [{"grant": g, "status_now": grant_effective_status(g)}
                   for g in sorted(grants.values(), key=lambda g: (str(g.family), g.version))],
        "rows": rows,
    }


def _csv_cell(value: Any) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas; notes and explanations are free text."""
    text = "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else str(value))
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


CSV_COLUMNS = ("record", "id", "date", "production", "use", "outcome", "grants", "detail")


def usage_csv(report: dict[str, Any]) -> str:
    """The report's rows as CSV, one line per record."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in report["rows"]:
        writer.writerow([_csv_cell(row[c]) for c in CSV_COLUMNS])
    return buffer.getvalue()


# Unicode names need a Unicode font; the PDF core fonts only know Latin-1. Debian's fonts-dejavu-core is the
# usual place; without it text falls back to Latin-1 with replacements (and the CSV stays exact).
UNICODE_FONTS = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
                 Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"))


def usage_pdf(report: dict[str, Any]) -> bytes:
    """The report as an A4 landscape PDF: the grants relied on, then every record."""
    from fpdf import FPDF  # imported here: only this download needs it
    from fpdf.enums import XPos, YPos

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    font = next((p for p in UNICODE_FONTS if p.exists()), None)
    if font:
        pdf.add_font("body", "", str(font))
        bold = font.with_name("DejaVuSans-Bold.ttf")
        # Table headings are bold: without the bold face, use the regular one for it.
        pdf.add_font("body", "B", str(bold if bold.exists() else font))
        family = "body"

        def clean(text: Any) -> str:
            return "" if text is None else str(text)
    else:
        family = "Helvetica"

        def clean(text: Any) -> str:
            return ("" if text is None else str(text)).replace("—", "-").encode("latin-1", "replace").decode("latin-1")

    performer = report["performer"]
    pdf.set_title(f"Usage report: {performer.legal_name}")
    pdf.set_creator("likeness platform")
    pdf.add_page()
    pdf.set_font(family, size=15)
    pdf.cell(0, 9, clean(f"Usage report: {performer.legal_name}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(family, size=9)
    pdf.cell(0, 5, clean(f"Generated {report['generated_at']:%Y-%m-%d %H:%M} UTC · performer id {performer.public_id} · "
                         f"{len(report['decisions'])} decisions, {len(report['jobs'])} jobs, {len(report['models'])} "
                         f"models, {len(report['outputs'])} outputs"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.set_font(family, size=11)
    pdf.cell(0, 6, "Consent grants relied on", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(family, size=8)
    with pdf.table(col_widths=(40, 30, 60, 143), text_align="LEFT", first_row_as_headings=True) as table:
        header = table.row()
        for title in ("Grant", "Status now", "Term", "Uses"):
            header.cell(title)
        for item in report["grants"]:
            g = item["grant"]
            row = table.row()
            for value in (g.label, item["status_now"], f"{g.term_start} to {g.term_end}", ", ".join(g.uses or [])):
                row.cell(clean(value))
    pdf.ln(3)
    pdf.set_font(family, size=11)
    pdf.cell(0, 6, "Every decision, job, model and output (oldest first)", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(family, size=7)
    with pdf.table(col_widths=(16, 30, 24, 28, 38, 26, 36, 75), text_align="LEFT",
                   first_row_as_headings=True) as table:
        header = table.row()
        for title in ("Record", "Date (UTC)", "Id", "Production", "Use", "Outcome", "Grants", "Detail"):
            header.cell(title)
        for r in report["rows"]:
            row = table.row()
            for value in (r["record"], f"{r['date']:%Y-%m-%d %H:%M:%S}", r["id"][:8], r["production"], r["use"],
                          r["outcome"], r["grants"], r["detail"][:400]):
                row.cell(clean(value))
    return bytes(pdf.output())
