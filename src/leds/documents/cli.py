"""``leds documents``: collections, staged ingest, search, triage and the evaluation.

The commands run as the store's local operator (``LEDS_ACTOR`` or the OS user), as
``leds ingest`` does, and every search and opened document is audited under that name
with the collection's case reference.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from leds.access.lookup import Lookup
from leds.config import Settings, get_settings
from leds.db.engine import get_engine
from leds.errors import LedsError
from leds.standard.codes import HANDLING_ORDER

from . import cases, evaluate, extract, process, search, service, triage
from .ingest import ingest

app = typer.Typer(help="Document search: a case's seized and unstructured material.", no_args_is_help=True)
collection_app = typer.Typer(help="Collections: a case's material, its team and handling level.",
                             no_args_is_help=True)
category_app = typer.Typer(help="Triage categories of a collection.", no_args_is_help=True)
app.add_typer(collection_app, name="collection")
app.add_typer(category_app, name="category")
out = Console()
err = Console(stderr=True)

CollectionOpt = Annotated[str, typer.Option("--collection", "-c", help="The collection's name.", max=100)]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="documents")


def _lookup(settings: Settings, case_ref: str | None = None) -> Lookup:
    from leds.audit import get_writer

    return Lookup(cases.operator(settings.actor), "investigation", case_ref, get_writer(settings).record)


def _fail(exc: LedsError) -> None:
    err.print(f"[red]error:[/] {escape(str(exc))}")
    raise typer.Exit(2)


def _collection(settings: Settings, name: str) -> cases.Collection:
    with get_engine(settings).connect() as conn:
        c = cases.by_name(conn, name)
    if c is None:
        err.print(f"[red]error:[/] no collection named {escape(name)!r}: "
                  "create it with 'leds documents collection create' or ingest into it")
        raise typer.Exit(2)
    return c


@collection_app.command("create")
def create_cmd(name: Annotated[str, typer.Argument(help="A short name, e.g. op-kestrel.")],
               case_ref: Annotated[str, typer.Option(help="The case or operation reference (audited).")],
               title: Annotated[str, typer.Option(help="What the collection holds.")] = "",
               handling: Annotated[str, typer.Option(help=f"One of {', '.join(HANDLING_ORDER)}.")] = "OFFICIAL",
               team: Annotated[str, typer.Option(help="Usernames on the case team, comma-separated.")] = "") -> None:
    """Create a collection with its team and handling level."""
    settings = get_settings()
    with get_engine(settings).begin() as conn:
        try:
            c = cases.create(conn, name, title=title or name, case_ref=case_ref, handling=handling,
                             team=[u.strip() for u in team.split(",") if u.strip()], by=_lookup(settings).principal.id)
        except (LedsError, ValueError) as exc:
            err.print(f"[red]error:[/] {escape(str(exc))}")
            raise typer.Exit(2) from exc
    out.print(f"collection {escape(c.name)} created ({c.handling}, case {escape(c.case_ref)})")


@collection_app.command("team")
def team_cmd(collection: CollectionOpt,
             users: Annotated[str, typer.Argument(help="The whole team, comma-separated usernames.")]) -> None:
    """Replace a collection's team."""
    settings = get_settings()
    c = _collection(settings, collection)
    with get_engine(settings).begin() as conn:
        cases.set_team(conn, c.id, [u.strip() for u in users.split(",") if u.strip()])
        out.print(f"team of {escape(c.name)}: {', '.join(cases.team_of(conn, c.id)) or '(nobody)'}")


def _bar(label: str) -> Progress:
    return Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=err, transient=True, disable=not err.is_terminal)


@app.command("ingest")
def ingest_cmd(paths: Annotated[list[str], typer.Argument(help="Files or folders (read recursively).")],
               collection: CollectionOpt,
               case_ref: Annotated[str | None, typer.Option(help="For a new collection: its case reference.")] = None,
               team: Annotated[str, typer.Option(help="For a new collection: its team, comma-separated.")] = "",
               words_only: Annotated[bool, typer.Option(
                   "--words-only", help="Stop after stage one (searchable by words); "
                   "run 'leds documents process' later.")] = False,
               background: Annotated[bool, typer.Option(
                   "--background", help="Return once searchable by words; stage two goes on in a detached "
                   "process (progress: 'leds documents status').")] = False,
               max_mb: Annotated[int, typer.Option(min=1, max=2048, help="Files over this size are listed, not read.")]
               = extract.MAX_BYTES // (1024 * 1024),
               as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False) -> None:
    """Read files into a collection: searchable by words as soon as they are read, then
    embedded, entities found and triaged (stage two, with progress)."""
    settings = get_settings()
    engine = get_engine(settings)
    with engine.begin() as conn:
        c = cases.by_name(conn, collection) or cases.create(
            conn, collection, title=collection, case_ref=case_ref or collection, handling="OFFICIAL",
            team=[u.strip() for u in team.split(",") if u.strip()], by=_lookup(settings).principal.id)
    files = list(extract.walk(paths))
    with _bar("read") as bar:
        task = bar.add_task("read", total=len(files))
        report = ingest(engine, c, paths, max_bytes=max_mb * 1024 * 1024, on_file=lambda p, n: bar.advance(task))
    result = report.as_dict()
    if background and not words_only:
        result["background_pid"] = _detach(settings, c.name)
    elif not words_only:
        with engine.connect() as conn:
            todo = process.progress(conn, c.id)
        with _bar("embed, entities, triage") as bar:
            task = bar.add_task("process", total=todo["documents"] - todo["fully_processed"])
            process.process(engine, c, settings.home, on_batch=lambda n: bar.advance(task, n))
    with engine.connect() as conn:
        result["progress"] = process.progress(conn, c.id)
    if as_json:
        typer.echo(json.dumps(result))
        return
    out.print(f"{report.files} files read: {report.added} documents added, {report.already} already held, "
              f"{report.words:,} words, {len(report.failed)} failed")
    if report.failed:
        t = Table("file", "reason", "detail", title="Not read")
        for f in report.failed:
            t.add_row(escape(f["path"]), f["reason"], escape(f["detail"]))
        out.print(t)
    p = result["progress"]
    out.print(f"searchable by words: {p['searchable_by_words']}; fully processed: {p['fully_processed']}")  # type: ignore[index]
    if "background_pid" in result:
        out.print(f"stage two goes on in the background (process {result['background_pid']}): "
                  f"leds documents status --collection {escape(c.name)}")


def _detach(settings: Settings, collection: str) -> int:
    """Start ``leds documents process`` in its own session, its output to LEDS_HOME/logs."""
    import subprocess
    import sys

    logs = settings.home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / f"documents-process-{collection}.log").open("ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "leds.cli", "documents", "process", "--collection", collection],
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    return proc.pid


@app.command("process")
def process_cmd(collection: CollectionOpt) -> None:
    """Stage two for documents not yet processed: embeddings, entities, triage."""
    settings = get_settings()
    engine = get_engine(settings)
    c = _collection(settings, collection)
    with engine.connect() as conn:
        todo = process.progress(conn, c.id)
    with _bar("embed, entities, triage") as bar:
        task = bar.add_task("process", total=todo["documents"] - todo["fully_processed"])
        n = process.process(engine, c, settings.home, on_batch=lambda k: bar.advance(task, k))
    out.print(f"{n} documents processed")


@app.command("status")
def status_cmd(collection: CollectionOpt,
               as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """How far ingest has got: searchable by words, fully processed, failed."""
    settings = get_settings()
    with get_engine(settings).connect() as conn:
        try:
            s = service.status(conn, _lookup(settings), collection)
        except LedsError as exc:
            _fail(exc)
    if as_json:
        typer.echo(json.dumps(s))
    else:
        for k, v in s.items():
            out.print(f"{k}: {escape(str(v))}")


@app.command("failures")
def failures_cmd(collection: CollectionOpt, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The files that could not be read, with the reason."""
    settings = get_settings()
    with get_engine(settings).connect() as conn:
        try:
            rows = service.failures(conn, _lookup(settings), collection)
        except LedsError as exc:
            _fail(exc)
    if as_json:
        typer.echo(json.dumps({"failures": rows}))
        return
    t = Table("file", "reason", "detail")
    for f in rows:
        t.add_row(escape(f["path"]), f["reason"], escape(f["detail"]))
    out.print(t)


@app.command("search")
def search_cmd(query: Annotated[str, typer.Argument(help="Words or a question in plain English.")],
               collection: CollectionOpt,
               limit: Annotated[int, typer.Option("--limit", "-k", min=1, max=200)] = 10,
               mode: Annotated[str, typer.Option(help="hybrid, bm25 or vector.")] = "hybrid",
               date_from: Annotated[str | None, typer.Option("--from", help="Documents dated on or after (YYYY-MM-DD).")]
               = None,
               date_to: Annotated[str | None, typer.Option("--to", help="Documents dated on or before.")] = None,
               doc_type: Annotated[list[str] | None, typer.Option("--type", help="email, pdf, chat, text, ...")] = None,
               person: Annotated[str | None, typer.Option(help="Only documents naming this person.")] = None,
               as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Hybrid search (BM25 and embeddings, fused); every search is audited with the case reference."""
    if mode not in ("hybrid", "bm25", "vector"):
        err.print("[red]error:[/] --mode must be hybrid, bm25 or vector")
        raise typer.Exit(2)
    settings = get_settings()
    f = search.Filters(date_from, date_to, tuple(doc_type or ()), person)
    with get_engine(settings).connect() as conn:
        try:
            found = service.search_documents(conn, _lookup(settings), collection, query[:1000], limit=limit,
                                             filters=f, mode=mode, home=settings.home)
        except LedsError as exc:
            _fail(exc)
    if as_json:
        typer.echo(json.dumps({"results": [{"document": r["document"], "score": r["score"], "snippet": r["snippet"]}
                                           for r in found["results"]]}))
        return
    t = Table("#", "document", "score", "snippet", title=f"{escape(collection)} ({escape(found['case_ref'])})")
    for i, r in enumerate(found["results"], 1):
        snip = escape(r["snippet"]).replace("&lt;mark&gt;", "[bold yellow]").replace("&lt;/mark&gt;", "[/]")
        t.add_row(str(i), f"{escape(r['document'])} (#{r['id']})", f"{r['score']:.4f}",
                  snip.replace("<mark>", "[bold yellow]").replace("</mark>", "[/]"))
    out.print(t)


@app.command("open")
def open_cmd(document_id: Annotated[int, typer.Argument(help="The document's number (from search).")],
             collection: CollectionOpt, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show a document, its entities and links, its e-mail or attachments (audited)."""
    settings = get_settings()
    with get_engine(settings).connect() as conn:
        try:
            d = service.open_document(conn, _lookup(settings), collection, document_id)
        except LedsError as exc:
            _fail(exc)
    if as_json:
        typer.echo(json.dumps(d))
        return
    out.print(f"[bold]{escape(d['document'])}[/] ({d['type']}, {d['date'] or 'undated'})\n")
    out.print(escape(d["text"][:5000]))
    for e in d["entities"]:
        link = f" -> {e['link']['href']}" if e["link"] else ""
        out.print(f"  {e['kind']}: {escape(e['value'])}{escape(link)}")


@category_app.command("add")
def category_add(name: Annotated[str, typer.Argument(help="The category's name.")], collection: CollectionOpt,
                 term: Annotated[list[str] | None, typer.Option("--term", help="A word or phrase (repeat).")] = None,
                 example: Annotated[list[str] | None, typer.Option("--example", help="An example passage (repeat).")]
                 = None,
                 sensitive: Annotated[bool, typer.Option("--sensitive", help="No previews in the queue.")] = False) -> None:
    """Define a triage category and score every processed document in it."""
    settings = get_settings()
    c = _collection(settings, collection)
    try:
        triage.define(get_engine(settings), c, name, list(term or []), list(example or []), sensitive, settings.home)
    except LedsError as exc:
        _fail(exc)
    out.print(f"category {escape(name)} scored")


@app.command("queue")
def queue_cmd(collection: CollectionOpt,
              reveal: Annotated[bool, typer.Option("--reveal", help="Show previews of sensitive categories too.")]
              = False,
              per_category: Annotated[int, typer.Option(min=1, max=1000)] = 20,
              as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The triage queue: each category's documents, best first."""
    settings = get_settings()
    with get_engine(settings).connect() as conn:
        try:
            q = service.triage_queue(conn, _lookup(settings), collection, reveal=reveal, per_category=per_category)
        except LedsError as exc:
            _fail(exc)
    if as_json:
        typer.echo(json.dumps({"queue": q}))
        return
    for cat in q:
        t = Table("document", "score", "preview", title=f"{escape(cat['category'])}"
                  + (" (sensitive: previews off)" if cat["sensitive"] and not reveal else ""))
        for i in cat["items"]:
            t.add_row(escape(i["document"]), f"{i['score']:.3f}", escape(i["preview"] or "(preview off)"))
        out.print(t)


@app.command("eval")
def eval_cmd(seed: Annotated[int, typer.Option(help="The judged collection's seed.")] = 1966,
             as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """nDCG@10 and recall@10 of BM25 alone, embeddings alone and the hybrid, on the generated
    judged collection (about 1,100 documents, 54 questions), in one run."""
    scores, info = evaluate.run(seed=seed)
    if as_json:
        typer.echo(json.dumps({**info, "seed": seed, "scores": {s.mode: {"ndcg@10": round(s.ndcg10, 4),
                                                                          "recall@10": round(s.recall10, 4)}
                                                                 for s in scores}}))
        return
    t = Table("ranking", "nDCG@10", "recall@10",
              title=f"judged collection (seed {seed}): {info['documents']} documents, {info['questions']} questions")
    labels = {"bm25": "BM25 alone", "vector": "embeddings alone", "hybrid": "hybrid (RRF)"}
    for s in scores:
        t.add_row(labels[s.mode], f"{s.ndcg10:.3f}", f"{s.recall10:.3f}")
    out.print(t)


@app.command("prepare-model")
def prepare_model_cmd() -> None:
    """Build the static token vectors from the installed MiniLM (once; scripts/setup.sh runs it)."""
    from . import embed

    settings = get_settings()
    t = embed.table(settings.home)
    out.print(f"embedding model ready: {embed.model_id()}, {t.shape[0]:,} tokens")
