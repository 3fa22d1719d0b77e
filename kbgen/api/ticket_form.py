"""The ticket form's rules as the browser sees them: departments, custom fields, limits.

One function for both places that describe the form: `GET /api/config/tickets` and the built
tickets page, which embeds it so a browser that has never reached the API (offline) still checks
the form against the server's own rules before queueing a submission. Standard library only:
the static build must not need the API's dependencies."""
from __future__ import annotations

from .settings import TicketSettings


def _label(labels: dict, lang: str) -> str:
    return labels.get(lang) or labels.get("en") or next(iter(labels.values()))


def ticket_form(tickets: TicketSettings, lang: str) -> dict:
    return {
        "departments": [{"id": d.id, "label": _label(d.labels, lang)} for d in tickets.departments],
        "fields": [{"name": f.name, "type": f.type, "required": f.required, "label": _label(f.labels, lang),
                    "max_length": f.max_length, "departments": list(f.departments),
                    "options": [{"value": o.value, "label": _label(o.labels, lang)} for o in f.options]}
                   for f in tickets.fields],
        "attachments": {"max_files": tickets.max_files, "max_file_bytes": tickets.max_file_bytes,
                        "max_total_bytes": tickets.max_total_bytes, "allowed_types": list(tickets.allowed_types)},
        "subject_max": tickets.subject_max, "body_max": tickets.body_max,
    }
