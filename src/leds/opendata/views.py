"""API routes of open data (``/api/v1/opendata``): the data.police.uk files imported (their
batches, rows and rejected lines).  Files are imported with ``leds opendata import``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import select

from leds.access.deps import CallerDep, app_engine, errors_documented, json_answer
from leds.access.policy import AccessDenied
from leds.errors import Forbidden

from .tables import opendata_imports

router = APIRouter(prefix="/api/v1/opendata", tags=["opendata"])


class Imported(BaseModel):
    batch: str
    kind: str
    force: str
    month: str
    file_name: str
    rows: int
    rejected: int
    imported_at: str


@router.get("/imports", summary="The data.police.uk files imported, newest month first",
            response_model=list[Imported], responses=errors_documented(401, 403))
async def imports(request: Request, who: CallerDep) -> Response:
    if not who.may("view_reports"):
        raise Forbidden("this token's scopes do not include view_reports")
    if "view_reports" not in who.principal.actions():
        raise AccessDenied(f"{who.principal.id} has no role that allows 'view_reports'")

    def run() -> list[dict[str, object]]:
        i = opendata_imports.c
        with app_engine(request).connect() as conn:
            return [{str(k): v for k, v in r._mapping.items()} for r in conn.execute(
                select(i.batch, i.kind, i.force, i.month, i.file_name, i.rows, i.rejected, i.imported_at)
                .order_by(i.month.desc(), i.batch))]

    return json_answer(await run_in_threadpool(run))
