"""Charts drawn on the server as accessible SVG (a title, a description, role="img"; the
numbers are always in a table beside the chart), and CSV and Parquet exports of the same rows.
No chart library, nothing from a CDN."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup, escape

FONT = 'font-family="Arial, sans-serif" font-size="13"'
COLOURS = ("#1d70b8", "#d4351c", "#00703c", "#f47738", "#4c2c92", "#505a5f")
RAG = {"green": "#00703c", "amber": "#f47738", "red": "#d4351c", "grey": "#b1b4b6"}


def bar_chart(cid: str, title: str, rows: Sequence[tuple[str, float | None]], *, unit: str = "",
              colours: Sequence[str] | None = None, max_value: float | None = None) -> Markup:
    """Horizontal bars, one per (label, value)."""
    h, label_w, bar_w = 24, 200, 300
    top = max_value or max((v or 0 for _, v in rows), default=0) or 1
    parts = [f'<svg role="img" aria-labelledby="{cid}-title {cid}-desc" viewBox="0 0 {label_w + bar_w + 90} '
             f'{len(rows) * h + 6}" width="100%" class="app-chart" '
             f'xmlns="http://www.w3.org/2000/svg" id="{cid}">',
             f'<title id="{cid}-title">{escape(title)}</title>',
             f'<desc id="{cid}-desc">{len(rows)} bars; the figures are in the table that follows.</desc>']
    for i, (label, value) in enumerate(rows):
        y = i * h + 3
        w = 0.0 if value is None else bar_w * value / top
        colour = (colours[i] if colours else COLOURS[0])
        shown = "no data" if value is None else f"{value:,.1f}{unit}" if isinstance(value, float) else f"{value:,}{unit}"
        parts.append(f'<text x="0" y="{y + 13}" {FONT}>{escape(str(label)[:30])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{h - 8}" fill="{colour}"></rect>')
        parts.append(f'<text x="{label_w + w + 5:.1f}" y="{y + 13}" {FONT}>{escape(shown)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(cid: str, title: str, xs: Sequence[str], series: dict[str, Sequence[float | None]], *,
               y_max: float = 100.0, unit: str = "%") -> Markup:
    """One line per series over the periods ``xs`` (gaps where a value is None)."""
    w, h, left, bottom = 560, 220, 40, 30
    n = max(len(xs) - 1, 1)

    def px(i: int) -> float:
        return left + (w - left - 10) * i / n

    def py(v: float) -> float:
        return 10 + (h - bottom - 10) * (1 - v / y_max)

    parts = [f'<svg role="img" aria-labelledby="{cid}-title {cid}-desc" viewBox="0 0 {w} {h + 20 * len(series)}" '
             f'width="100%" class="app-chart" xmlns="http://www.w3.org/2000/svg" id="{cid}">',
             f'<title id="{cid}-title">{escape(title)}</title>',
             f'<desc id="{cid}-desc">{len(series)} lines over {len(xs)} periods; the figures are in the table '
             'that follows.</desc>']
    for tick in (0, y_max / 2, y_max):
        parts.append(f'<line x1="{left}" x2="{w - 10}" y1="{py(tick):.1f}" y2="{py(tick):.1f}" stroke="#b1b4b6"></line>')
        parts.append(f'<text x="0" y="{py(tick) + 4:.1f}" {FONT}>{tick:g}{escape(unit)}</text>')
    for i, x in enumerate(xs):
        if len(xs) <= 12 or i % max(1, len(xs) // 6) == 0:
            parts.append(f'<text x="{px(i) - 20:.1f}" y="{h - 8}" {FONT}>{escape(x)}</text>')
    for k, (name, values) in enumerate(series.items()):
        colour = COLOURS[k % len(COLOURS)]
        pts = [(px(i), py(v)) for i, v in enumerate(values) if v is not None]
        if len(pts) > 1:
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
                         + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"></polyline>')
        for cx, cy in pts:
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="{colour}"></circle>')
        parts.append(f'<rect x="{left}" y="{h + 20 * k + 2}" width="12" height="12" fill="{colour}"></rect>'
                     f'<text x="{left + 18}" y="{h + 20 * k + 13}" {FONT}>{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    if rows:
        w = csv.DictWriter(buf, fieldnames=list(rows[0]), extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: _flat(v) for k, v in r.items()})
    return buf.getvalue().encode()


def to_parquet(rows: list[dict[str, Any]]) -> bytes:
    import pyarrow as pa  # loaded on the first export, not when the service starts
    import pyarrow.parquet as pq

    cols = list(rows[0]) if rows else ["empty"]
    table = pa.table({c: pa.array([_flat(r.get(c)) for r in rows]) for c in cols}) if rows else \
        pa.table({"empty": pa.array([], pa.string())})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _flat(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return " to ".join(str(x) for x in v)
    if isinstance(v, dict):
        return v.get("value")
    return v
