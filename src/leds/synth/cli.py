"""``leds synth``: write a synthetic national population with ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .rates import RATE_NAMES, VariationRates, parse_rate_options


def register(app: typer.Typer) -> None:
    @app.command("synth")
    def synth(
        out: Annotated[Path, typer.Option("--out", help="Directory to write into (must be empty, or earlier synth output with --overwrite).")],
        persons: Annotated[int, typer.Option("--persons", help="Number of true people to generate.")] = 10_000,
        seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed and options give byte-identical output.")] = 1,
        rate: Annotated[list[str] | None, typer.Option(
            "--rate", help=f"Variation rate as name=value (0..1), repeatable. Names: {', '.join(RATE_NAMES)}.")] = None,
        workers: Annotated[int | None, typer.Option("--workers", help="Worker processes (default: up to 2). Output does not depend on it.")] = None,
        police_uk: Annotated[Path | None, typer.Option(
            "--police-uk", help="Folder of data.police.uk CSVs to weight crime categories and stop-search objects.")] = None,
        overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace earlier synth output in --out.")] = False,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    ) -> None:
        """Generate synthetic people recorded across force systems, as updategram files,
        with truth.csv, variations.csv, hard_negatives.csv and manifest.json."""
        from .generator import generate

        if persons < 1:
            raise typer.BadParameter("must be at least 1", param_hint="--persons")
        if workers is not None and workers < 1:
            raise typer.BadParameter("must be at least 1", param_hint="--workers")
        try:
            overrides = parse_rate_options(rate)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--rate") from None
        rates = VariationRates().with_overrides(overrides)
        if police_uk is not None and not police_uk.is_dir():
            raise typer.BadParameter(f"{police_uk} is not a directory", param_hint="--police-uk")
        try:
            report = generate(out, persons, seed, rates, progress=not quiet, workers=workers,
                              reference_dir=police_uk, overwrite=overwrite)
        except FileExistsError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from None
        if quiet:
            return
        from rich.console import Console
        from rich.table import Table

        console = Console()
        console.print(
            f"Wrote {report.records:,} records ({report.person_records:,} person records of "
            f"{report.persons:,} true people) to {len(report.files)} files in {report.out_dir} "
            f"in {report.elapsed_s:.1f} s"
        )
        table = Table(title="Variation rates (applied / eligible copies)")
        table.add_column("variation")
        table.add_column("configured", justify="right")
        table.add_column("realised", justify="right")
        table.add_column("eligible", justify="right")
        for name, row in report.extra["manifest"]["rates"].items():
            realised = "-" if row["realised"] is None else f"{row['realised']:.3f}"
            table.add_row(name, f"{row['configured']:.3f}", realised, f"{row['eligible']:,}")
        console.print(table)
        hn = ", ".join(f"{k} {v:,}" for k, v in report.hard_negatives.items())
        console.print(f"Hard-negative pairs: {hn}")
