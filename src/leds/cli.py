"""The ``leds`` command line.  Each domain contributes its own commands through a
``register(app)`` function, so a feature's CLI lives beside the feature."""

from __future__ import annotations

import typer

from leds.domains import present

app = typer.Typer(
    name="leds",
    help="Law Enforcement Data Service: ingest, match, check and audit police records.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

# Domains whose commands are part of the CLI, in the order --help shows them.
DOMAINS = (
    "leds.demo",
    "leds.ingest.cli",
    "leds.records.cli",
    "leds.standard.cli",
    "leds.synth.cli",
    "leds.db.cli",
    "leds.access.cli",
    "leds.audit.cli",
    "leds.serve",
    "leds.matching.cli",
    "leds.alerts.cli",
    "leds.missing.cli",
    "leds.retention.cli",
    "leds.quality.cli",
    "leds.reports.cli",
    "leds.opendata.cli",
    "leds.sharing.cli",
    "leds.anpr.cli",
    "leds.documents.cli",
    "leds.office.cli",
)


def _register_all() -> None:
    for module in present(DOMAINS):
        module.register(app)


_register_all()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
