"""Entities in a document's text, and their links to leds records.

Found by pattern: e-mail addresses, UK phone numbers, VRMs, postcodes, PNC IDs, dates,
and names (two or three capitalised words, the first a likely given name).  Links:

* a **VRM** to the vehicle records with the same confusable key (:func:`leds.search.keys.vrm_key`);
* a **PNC ID** to the person record that carries it;
* a **name** to a person record only when the search index holds that family and given
  name *and* one of the dates in the same document is that record's date of birth, or a
  PNC ID in it is theirs (precision before recall: a name alone links nothing).

The links are record keys; the person page maps a person's records (through matching's
national person ids) to the documents that mention them, through the access policy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, select

from leds.matching.names import fold, fold_surname
from leds.search.keys import normalise_postcode, vrm_key
from leds.search.tables import search_dobs, search_names, search_persons, search_vehicles

KINDS = ("name", "phone", "email", "vrm", "postcode", "pnc_id", "date")

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_PHONE = re.compile(r"(?<![\d+])(?:\+44\s?7\d{3}|07\d{3}|0\d{2,4})[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\d)")
_VRM = re.compile(r"\b([A-Z]{2}\d{2}\s?[A-Z]{3})\b")
_POSTCODE = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})\b")
_PNC = re.compile(r"\b((?:19|20)?\d{2}/\d{1,7}[A-Z])\b")
_MONTHS = ("january february march april may june july august september october november december").split()
_DATE_ISO = re.compile(r"\b(\d{4})-(\d\d)-(\d\d)\b")
_DATE_UK = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_DATE_LONG = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(" + "|".join(m.title() for m in _MONTHS) + r")\s+(\d{4})\b")
_CAPS = re.compile(r"\b(?:(?:O'|Mc|Mac)?[A-Z][a-z]+(?:-[A-Z][a-z]+)?)(?:\s+(?:O'|Mc|Mac)?[A-Z][a-z]+(?:-[A-Z][a-z]+)?)+")
_NOT_GIVEN = set("""The This That These Those There Then When Where What Which While Who Why How Our Your Their His
Her Its And But For From With Without Into Onto Upon After Before During Dear Kind Regards Best Thanks Thank
Subject Date Sent To Cc Re Fwd Police Officer Detective Sergeant Constable Inspector Station Road Street Lane
Avenue Close Drive Court House Park Hall Way North South East West New Old Great Little Saint St Mr Mrs Ms Miss
Dr Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July August
September October November December Met Crown Court Magistrates Please Hello Hi Good Morning Evening Case
Message Chat Note Report Statement Witness Operation Team Unit Force Mailbox Archive Attachment A An I We
Ring Call Text Phone Email Meet See Tell Ask Told Asked Got Said Saw Met Drove Just Yes No Ok Okay Born From""".split())


@dataclass(frozen=True)
class Entity:
    kind: str
    value: str
    norm: str


def _iso(y: int, m: int, d: int) -> str | None:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def find(text: str, limit: int = 500) -> list[Entity]:
    """The distinct entities in ``text`` (at most ``limit``), each with its normal form."""
    out: dict[tuple[str, str], Entity] = {}

    def add(kind: str, value: str, norm: str | None) -> None:
        if norm and len(out) < limit:
            out.setdefault((kind, norm[:200]), Entity(kind, value[:200], norm[:200]))

    for m in _EMAIL.finditer(text):
        add("email", m.group(0), m.group(0).lower())
    for m in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        digits = "0" + digits[2:] if digits.startswith("44") else digits
        if 10 <= len(digits) <= 11:
            add("phone", m.group(0), digits)
    for m in _PNC.finditer(text):
        y, rest = m.group(1).split("/")
        year = int(y) if len(y) == 4 else (1900 + int(y) if int(y) > 30 else 2000 + int(y))
        add("pnc_id", m.group(1), f"{year:04d}/{int(rest[:-1]):07d}{rest[-1]}")
    for m in _VRM.finditer(text):
        add("vrm", m.group(1), vrm_key(m.group(1)))
    for m in _POSTCODE.finditer(text):
        if not _VRM.fullmatch(m.group(1)):
            add("postcode", m.group(1), normalise_postcode(m.group(1)))
    for m in _DATE_ISO.finditer(text):
        add("date", m.group(0), _iso(int(m.group(1)), int(m.group(2)), int(m.group(3))))
    for m in _DATE_UK.finditer(text):
        add("date", m.group(0), _iso(int(m.group(3)), int(m.group(2)), int(m.group(1))))
    for m in _DATE_LONG.finditer(text):
        add("date", m.group(0), _iso(int(m.group(3)), _MONTHS.index(m.group(2).lower()) + 1, int(m.group(1))))
    for m in _CAPS.finditer(text):
        words = m.group(0).split()
        while words and words[0] in _NOT_GIVEN:
            words.pop(0)
        words = words[:3]
        if len(words) < 2 or words[-1] in _NOT_GIVEN:
            continue
        add("name", " ".join(words), f"{fold_surname(words[-1])}|{fold(words[0])}")
    return list(out.values())


def link(conn: Connection, found: list[Entity]) -> dict[tuple[str, str], str]:
    """(kind, norm) -> the record key each entity links to, where one does."""
    links: dict[tuple[str, str], str] = {}
    dates = {e.norm for e in found if e.kind == "date"}
    pncs: dict[str, str] = {}
    for e in found:
        if e.kind == "vrm":
            r = conn.execute(select(search_vehicles.c.rkey).where(search_vehicles.c.vrm_key == e.norm)
                             .order_by(search_vehicles.c.rkey).limit(1)).first()
            if r:
                links[(e.kind, e.norm)] = r[0]
        elif e.kind == "pnc_id":
            r = conn.execute(select(search_persons.c.rkey).where(search_persons.c.pnc == e.norm)
                             .order_by(search_persons.c.rkey).limit(1)).first()
            if r:
                links[(e.kind, e.norm)] = pncs.setdefault(r[0], r[0])
    for e in found:
        if e.kind != "name":
            continue
        family, given = e.norm.split("|", 1)
        rkeys = [r[0] for r in conn.execute(select(search_names.c.rkey).where(
            search_names.c.family == family, search_names.c.given.like(f"{given}%")).limit(50))]
        if not rkeys:
            continue
        corroborated = [k for k in rkeys if k in pncs]
        if not corroborated and dates:
            corroborated = sorted({r[0] for r in conn.execute(select(search_dobs.c.rkey).where(
                search_dobs.c.rkey.in_(rkeys), search_dobs.c.dob.in_(sorted(dates))))})
        if corroborated:
            links[(e.kind, e.norm)] = corroborated[0]
    return links
