"""Reading files into text: plain text, e-mail (.eml, .mbox) with attachments, HTML,
PDF text (pypdf), Word and Excel files, chat exports (CSV, JSON) and zip archives.

A reader yields :class:`Item` (a document, with its children: an e-mail's attachments,
an archive's members, an mbox's messages) or raises :class:`Unreadable` with one of
:data:`REASONS`; the caller lists the failure and goes on with the next file.
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
import json
import mailbox
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import PurePath

REASONS = {
    "corrupt": "the file is damaged or not what its name says",
    "encrypted": "the file is encrypted (no password is tried)",
    "over_size": "the file is over the size limit",
    "unknown_encoding": "the text's character encoding could not be told",
    "zip_bomb": "the archive expands far beyond its size (a zip bomb)",
    "unsupported": "no reader for this kind of file",
    "empty": "no text in the file",
}
MAX_BYTES = 50 * 1024 * 1024  # per file; a larger one is listed as over_size
MAX_EXPANSION = 100  # uncompressed / compressed, above which an archive is a bomb
MAX_UNPACKED = 200 * 1024 * 1024
MAX_DEPTH = 3  # attachments of attachments of ...


class Unreadable(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail[:480]


@dataclass
class Item:
    name: str
    doc_type: str
    data: bytes  # the bytes hashed (the file, the message, the attachment)
    text: str
    title: str
    doc_date: str | None = None
    children: list[Item] = field(default_factory=list)
    failures: list[tuple[str, Unreadable]] = field(default_factory=list)  # of children


TEXT_TYPES = {".txt": "text", ".text": "text", ".log": "text", ".md": "text"}
TYPE_BY_SUFFIX = {**TEXT_TYPES, ".eml": "email", ".mbox": "mbox", ".html": "html", ".htm": "html", ".pdf": "pdf",
                  ".docx": "docx", ".xlsx": "xlsx", ".csv": "chat", ".json": "chat", ".zip": "zip"}


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else the encoding charset-normalizer is sure of."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is None or best.encoding is None or best.chaos > 0.2:
        raise Unreadable("unknown_encoding", "not UTF-8, and no other encoding fits")
    return data.decode(best.encoding, errors="replace")


class _Html(HTMLParser):
    SKIP = {"script", "style", "head", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in self.SKIP:
            self._skip += 1
        if tag in ("p", "br", "div", "li", "tr", "h1", "h2", "h3"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip:
            self.parts.append(data)


def html_text(html: str) -> tuple[str, str]:
    p = _Html()
    p.feed(html)
    text = re.sub(r"[ \t\r\f\v]+", " ", "".join(p.parts))
    return re.sub(r"\n\s*\n+", "\n\n", text).strip(), p.title.strip()


def _first_line(text: str, name: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:200]
    return name


def read(name: str, data: bytes, depth: int = 0, max_bytes: int = MAX_BYTES) -> Item:
    """One file's bytes as an :class:`Item`; raises :class:`Unreadable`."""
    if len(data) > max_bytes:
        raise Unreadable("over_size", f"{len(data):,} bytes; the limit is {max_bytes:,}")
    suffix = PurePath(name).suffix.lower()
    kind = TYPE_BY_SUFFIX.get(suffix)
    if kind is None:
        if b"\x00" in data[:4096]:
            raise Unreadable("unsupported", f"no reader for {suffix or 'files without a suffix'}")
        kind = "text"
    if kind in ("docx", "xlsx", "zip"):
        _check_zip(data)
    reader = {"text": _text, "html": _html, "email": _email, "mbox": _mbox, "pdf": _pdf, "docx": _docx,
              "xlsx": _xlsx, "chat": _chat, "zip": _zip}[kind]
    item = reader(name, data, depth)
    if not item.text.strip() and not item.children:
        raise Unreadable("empty", "no text was found")
    return item


def _text(name: str, data: bytes, depth: int) -> Item:
    text = decode(data)
    return Item(name, "text", data, text, _first_line(text, name))


def _html(name: str, data: bytes, depth: int) -> Item:
    text, title = html_text(decode(data))
    return Item(name, "html", data, text, title or _first_line(text, name))


def _date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).astimezone(UTC).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def _message(name: str, data: bytes, msg: EmailMessage, depth: int) -> Item:
    body = msg.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        try:
            content = body.get_content()
        except (LookupError, UnicodeError) as exc:
            raise Unreadable("unknown_encoding", str(exc)) from exc
        text = html_text(content)[0] if body.get_content_type() == "text/html" else content
    head = "\n".join(f"{h}: {msg[h]}" for h in ("From", "To", "Cc", "Subject", "Date") if msg[h])
    item = Item(name, "email", data, f"{head}\n\n{text}".strip(), str(msg["Subject"] or name)[:200],
                _date(msg["Date"]))
    for part in msg.iter_attachments():
        fname = part.get_filename() or "attachment"
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        _add_child(item, fname, payload, depth)
    return item


def _add_child(item: Item, fname: str, payload: bytes, depth: int) -> None:
    if depth + 1 > MAX_DEPTH:
        item.failures.append((fname, Unreadable("unsupported", "nested too deep")))
        return
    try:
        item.children.append(read(fname, payload, depth + 1))
    except Unreadable as exc:
        item.failures.append((fname, exc))


def _email(name: str, data: bytes, depth: int) -> Item:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    if not msg.keys():
        raise Unreadable("corrupt", "no e-mail headers")
    return _message(name, data, msg, depth)  # type: ignore[arg-type]


def _mbox(name: str, data: bytes, depth: int) -> Item:
    with tempfile.NamedTemporaryFile(suffix=".mbox") as f:
        f.write(data)
        f.flush()
        box = mailbox.mbox(f.name, factory=None, create=False)
        messages = [m.as_bytes() for m in box]
    if not messages:
        raise Unreadable("corrupt", "no messages in the mailbox")
    item = Item(name, "mbox", data, "", f"Mailbox {name} ({len(messages)} messages)")
    for i, raw in enumerate(messages, 1):
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        try:
            item.children.append(_message(f"{name}#{i}", raw, msg, depth + 1))  # type: ignore[arg-type]
        except Unreadable as exc:
            item.failures.append((f"{name}#{i}", exc))
    return item


def _pdf(name: str, data: bytes, depth: int) -> Item:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged file is reported once, as a failure

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise Unreadable("encrypted", "the PDF is encrypted")
        text = "\n".join((p.extract_text() or "") for p in reader.pages)
        meta = reader.metadata
        created = meta.creation_date if meta is not None else None
    except Unreadable:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise Unreadable("corrupt", f"PDF: {exc}") from exc
    title = (meta.title if meta is not None and meta.title else None) or _first_line(text, name)
    return Item(name, "pdf", data, text, str(title)[:200], created.date().isoformat() if created else None)


def _check_zip(data: bytes) -> zipfile.ZipFile:
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        infos = z.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise Unreadable("corrupt", f"not a valid zip container: {exc}") from exc
    if any(i.flag_bits & 0x1 for i in infos):
        raise Unreadable("encrypted", "the archive's members are encrypted")
    unpacked = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if unpacked > MAX_UNPACKED or (unpacked > 1_000_000 and unpacked / packed > MAX_EXPANSION):
        raise Unreadable("zip_bomb", f"{packed:,} bytes expand to {unpacked:,}")
    return z


def _docx(name: str, data: bytes, depth: int) -> Item:
    import docx  # python-docx

    try:
        d = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds on a damaged package
        raise Unreadable("corrupt", f"Word document: {type(exc).__name__}") from exc
    paras = [p.text for p in d.paragraphs]
    for t in d.tables:
        paras.extend(" | ".join(c.text for c in row.cells) for row in t.rows)
    text = "\n".join(paras)
    props = d.core_properties
    created = props.created.date().isoformat() if props.created else None
    return Item(name, "docx", data, text, (props.title or _first_line(text, name))[:200], created)


def _xlsx(name: str, data: bytes, depth: int) -> Item:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        lines = [f"# {ws.title}\n" + "\n".join(" | ".join("" if v is None else str(v) for v in row)
                                                for row in ws.iter_rows(values_only=True))
                 for ws in wb.worksheets]
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise Unreadable("corrupt", f"Excel workbook: {type(exc).__name__}") from exc
    text = "\n".join(lines)
    return Item(name, "xlsx", data, text, _first_line(text, name))


_CHAT_TEXT = ("message", "text", "body", "content")
_CHAT_WHO = ("sender", "from", "author", "name", "user")
_CHAT_WHEN = ("timestamp", "date", "time", "sent", "datetime")


def _pick(row: dict[str, object], keys: tuple[str, ...]) -> str:
    lower = {str(k).lower(): v for k, v in row.items()}
    for k in keys:
        v = lower.get(k)
        if v not in (None, ""):
            return v if isinstance(v, str) else json.dumps(v) if isinstance(v, list | dict) else str(v)
    return ""


def _chat_lines(rows: list[dict[str, object]]) -> tuple[str, str | None]:
    lines, first = [], None
    for r in rows:
        when, who, what = _pick(r, _CHAT_WHEN), _pick(r, _CHAT_WHO), _pick(r, _CHAT_TEXT)
        if not what:
            continue
        first = first or (when[:10] if re.match(r"\d{4}-\d\d-\d\d", when) else None)
        lines.append(f"[{when}] {who}: {what}".strip())
    return "\n".join(lines), first


def _chat(name: str, data: bytes, depth: int) -> Item:
    text = decode(data)
    rows: list[dict[str, object]]
    if name.lower().endswith(".json"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise Unreadable("corrupt", f"JSON: {exc.msg} at line {exc.lineno}") from exc
        found = doc.get("messages") if isinstance(doc, dict) else doc
        if not isinstance(found, list):
            raise Unreadable("unsupported", "a JSON file that is not a chat export (no list of messages)")
        rows = [r for r in found if isinstance(r, dict)]
    else:
        try:
            rows = list(csv.DictReader(io.StringIO(text)))
        except csv.Error as exc:
            raise Unreadable("corrupt", f"CSV: {exc}") from exc
    body, first = _chat_lines(rows)
    if not body:
        raise Unreadable("empty", "no messages with text (expected columns such as timestamp, sender, message)")
    return Item(name, "chat", data, body, f"Chat export {name} ({len(rows)} messages)", first)


def _zip(name: str, data: bytes, depth: int) -> Item:
    z = _check_zip(data)
    item = Item(name, "zip", data, "", f"Archive {name}")
    for info in z.infolist():
        if info.is_dir():
            continue
        _add_child(item, info.filename, z.read(info), depth)
    return item


def walk(paths: list[str]) -> Iterator[tuple[str, str]]:
    """(path, file name) of every file under the given paths, in a stable order."""
    from pathlib import Path

    for p in paths:
        root = Path(p)
        if root.is_dir():
            for f in sorted(root.rglob("*")):
                if f.is_file():
                    yield str(f), f.name
        else:
            yield str(root), root.name


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
