""""Was this helpful?" votes: one per browser per article (the browser keeps a random voter id),
changeable; staff see counts per article and the least helpful ones first."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import Field
from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from ..db import utcnow
from ..deps import DB, OptionalUser, Staff, rate_limit
from ..models import Rating
from ..schemas import Strict

router = APIRouter(tags=["ratings"])
REF = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="the article's stable ref")]
VOTER_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"


class Vote(Strict):
    value: Literal["up", "down"]
    voter: str = Field(pattern=VOTER_PATTERN, description="random id the browser keeps for itself")
    lang: str = Field(default="", max_length=16, pattern=r"^[A-Za-z-]*$")
    title: str = Field(default="", max_length=200)
    # a path on this site: one leading slash, never //host or a scheme
    url: str = Field(default="", max_length=300, pattern=r"^(/([^/\\\s<>\"'][^\s<>\"'\\]*)?)?$")


def _value(number: int | None) -> str | None:
    return {1: "up", -1: "down"}.get(number)


@router.put("/ratings/{ref}", dependencies=[Depends(rate_limit("rating"))], summary="Vote (or change the vote)")
def vote(ref: REF, body: Vote, db: DB) -> dict:
    number = 1 if body.value == "up" else -1
    # an upsert that is the same on SQLite and PostgreSQL: update, else insert, and on a
    # concurrent insert of the same (article, voter) fall back to the update
    for _attempt in range(3):
        changed = db.execute(update(Rating).where(Rating.article_ref == ref, Rating.voter == body.voter)
                             .values(value=number, updated_at=utcnow())).rowcount
        if not changed:
            db.add(Rating(article_ref=ref, voter=body.voter, value=number, lang=body.lang,
                          title=body.title.strip(), url=body.url))
        try:
            db.commit()
            break
        except IntegrityError:
            db.rollback()
    return {"ref": ref, "value": body.value}


@router.get("/ratings/{ref}", summary="This browser's vote on an article (and, for staff, the counts)")
def my_vote(ref: REF, db: DB, user: OptionalUser, voter: Annotated[str, Query(pattern=VOTER_PATTERN)]) -> dict:
    value = db.scalar(select(Rating.value).where(Rating.article_ref == ref, Rating.voter == voter))
    answer = {"ref": ref, "value": _value(value)}
    if user is not None and user.is_staff:
        up = func.sum(case((Rating.value == 1, 1), else_=0))
        down = func.sum(case((Rating.value == -1, 1), else_=0))
        ups, downs = db.execute(select(up, down).where(Rating.article_ref == ref)).one()
        answer["counts"] = {"up": ups or 0, "down": downs or 0}
    return answer


@router.get("/agent/ratings", tags=["agent"], summary="Votes per article; least helpful first")
def ratings_report(db: DB, staff: Staff, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict:
    up = func.sum(case((Rating.value == 1, 1), else_=0))
    down = func.sum(case((Rating.value == -1, 1), else_=0))
    rows = db.execute(select(Rating.article_ref, up.label("up"), down.label("down"), func.max(Rating.title),
                             func.max(Rating.url), func.max(Rating.lang))
                      .group_by(Rating.article_ref)).all()
    articles = []
    for ref, ups, downs, title, url, lang in rows:
        total = (ups or 0) + (downs or 0)
        articles.append({"ref": ref, "title": title or ref, "url": url, "lang": lang, "up": ups or 0, "down": downs or 0,
                         "total": total, "helpful_ratio": round((ups or 0) / total, 3) if total else None})
    # least helpful: lowest share of "yes", more votes first among equals (more certain)
    articles.sort(key=lambda a: (a["helpful_ratio"], -a["total"], a["ref"]))
    return {"articles": articles[:limit]}
