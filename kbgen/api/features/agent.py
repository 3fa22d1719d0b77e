"""Staff side of tickets (/api/agent/…): inbox with filters, assign, reply, change status,
internal notes. Every endpoint needs an agent or admin session."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field
from sqlalchemy import func, or_, select

from ..db import utcnow
from ..deps import DB, Staff, State, rate_limit
from ..errors import field_error, not_found
from ..idempotency import fingerprint, run_once
from ..models import STAFF_ROLES, StoredFile, Ticket, TicketMessage, User
from ..schemas import Strict
from .ticket_core import STATUS_FLOW, change_status, download_response, guest_key, notify, ticket_detail, ticket_link, ticket_summary

router = APIRouter(prefix="/agent", tags=["agent"])
Status = Literal["new", "open", "waiting", "solved", "closed"]


class TicketChange(Strict):
    status: Status | None = None
    assignee_id: str | None = Field(default=None, max_length=32, description='a staff user id, or "" to unassign')
    department: str | None = Field(default=None, max_length=40)


class AgentReply(Strict):
    body: str = Field(min_length=1, max_length=20000)
    internal: bool = False
    status: Status | None = Field(default=None, description='status after a public reply (default "waiting")')


def _staff_ticket(db, ticket_id: str) -> Ticket:
    ticket = db.get(Ticket, ticket_id) if len(ticket_id) <= 32 else None
    if ticket is None:
        raise not_found("ticket")
    return ticket


def _file_url(ticket):
    return lambda stored: f"/api/agent/tickets/{ticket.id}/files/{stored.id}"


@router.get("/tickets", summary="Ticket inbox with filters")
def inbox(db: DB, staff: Staff,
          status: Annotated[list[Status] | None, Query()] = None,
          department: Annotated[str | None, Query(max_length=40)] = None,
          assignee: Annotated[str | None, Query(max_length=32, description='"me", "none" or a staff id')] = None,
          q: Annotated[str | None, Query(max_length=100)] = None,
          limit: Annotated[int, Query(ge=1, le=200)] = 50,
          offset: Annotated[int, Query(ge=0, le=100000)] = 0) -> dict:
    query = select(Ticket)
    if status:
        query = query.where(Ticket.status.in_(status))
    if department:
        query = query.where(Ticket.department == department)
    if assignee == "me":
        query = query.where(Ticket.assignee_id == staff.id)
    elif assignee == "none":
        query = query.where(Ticket.assignee_id.is_(None))
    elif assignee:
        query = query.where(Ticket.assignee_id == assignee)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Ticket.subject.ilike(pattern, escape="\\"), Ticket.email.ilike(pattern, escape="\\"),
                                Ticket.number == q.upper()))
    total = db.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.scalars(query.order_by(Ticket.updated_at.desc(), Ticket.id).limit(limit).offset(offset)).all()
    return {"total": total, "tickets": [ticket_summary(t) | {"email": t.email, "assignee_id": t.assignee_id} for t in rows]}


@router.get("/staff", summary="Agents and admins, for the assignee menu")
def staff_list(db: DB, staff: Staff) -> dict:
    people = db.scalars(select(User).where(User.role.in_(STAFF_ROLES), User.disabled.is_(False)).order_by(User.email)).all()
    return {"staff": [{"id": u.id, "email": u.email, "name": u.name, "role": u.role} for u in people], "me": staff.id}


@router.get("/tickets/{ticket_id}", summary="A ticket with internal notes and customer details")
def agent_ticket(ticket_id: str, db: DB, staff: Staff) -> dict:
    ticket = _staff_ticket(db, ticket_id)
    return ticket_detail(db, ticket, staff=True, file_url=_file_url(ticket))


@router.patch("/tickets/{ticket_id}", summary="Assign, change status or department")
def update_ticket(ticket_id: str, change: TicketChange, db: DB, staff: Staff, state: State) -> dict:
    ticket = _staff_ticket(db, ticket_id)
    if change.assignee_id is not None:
        if change.assignee_id == "":
            ticket.assignee_id = None
        else:
            assignee = db.get(User, change.assignee_id)
            if assignee is None or not assignee.is_staff:
                raise field_error("assignee_id", "is not a staff account")
            ticket.assignee_id = assignee.id
        ticket.updated_at = utcnow()
    if change.department is not None:
        if change.department not in {d.id for d in state.settings.tickets.departments}:
            raise field_error("department", "is not a configured department")
        ticket.department = change.department
    if change.status is not None:
        change_status(db, ticket, change.status, staff)
    db.commit()
    return ticket_summary(ticket) | {"assignee_id": ticket.assignee_id}


@router.post("/tickets/{ticket_id}/messages", status_code=201, dependencies=[Depends(rate_limit("submission"))],
             summary="Reply to the customer, or add an internal note (never shown to the customer)")
def agent_reply(ticket_id: str, reply: AgentReply, request: Request, db: DB, staff: Staff, state: State):
    ticket = _staff_ticket(db, ticket_id)
    if not reply.body.strip():
        raise field_error("body", "is required")
    notify_customer = []

    def create():
        message = TicketMessage(ticket_id=ticket.id, author_id=staff.id, author_kind="agent", body=reply.body,
                                internal=reply.internal)
        db.add(message)
        if not reply.internal:
            change_status(db, ticket, reply.status or "waiting", staff)
            notify_customer.append(True)
        if ticket.assignee_id is None:
            ticket.assignee_id = staff.id
        ticket.updated_at = utcnow()
        db.flush()
        return 201, {"id": message.id, "ticket_id": ticket.id, "status": ticket.status, "internal": reply.internal}

    response = run_once(db, request, f"agent.reply:{ticket.id}", fingerprint(staff.id, reply.model_dump()), create)
    if notify_customer:
        link = ticket_link(state.settings, ticket, None if ticket.customer_id else guest_key(state.settings, ticket.id))
        notify(state, ticket, f"New reply to: {ticket.subject}",
               f"Our support team replied to your ticket {ticket.number}:\n\n{reply.body}\n\n"
               f"Read the conversation and answer here:\n{link}\n")
    return response


@router.get("/tickets/{ticket_id}/files/{file_id}", summary="Download any attachment of a ticket")
def agent_file(ticket_id: str, file_id: str, db: DB, staff: Staff, state: State):
    stored = db.get(StoredFile, file_id) if len(file_id) <= 32 else None
    if stored is None or stored.ticket_id != ticket_id:
        raise not_found("file")
    return download_response(state, stored)


@router.get("/statuses", summary="The ticket statuses in their usual order")
def statuses(staff: Staff) -> dict:
    return {"statuses": list(STATUS_FLOW)}
