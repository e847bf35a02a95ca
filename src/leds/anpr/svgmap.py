"""A server-rendered SVG map of a vehicle's reads and trips: camera sites as dots, the
vehicle's path joined in time order, the route's ends and corridor marked.  No tiles, no
script; the same numbers are given as a table beside it on the page."""

from __future__ import annotations

from html import escape
from typing import Any

W, H, PAD = 640, 480, 24


def trips_map(cameras: list[tuple[str, float, float]], reads: list[dict[str, Any]],
              routes: list[dict[str, Any]], title: str) -> str:
    if not cameras:
        return ""
    lats = [c[1] for c in cameras]
    lons = [c[2] for c in cameras]
    lo_lat, hi_lat, lo_lon, hi_lon = min(lats), max(lats), min(lons), max(lons)
    span = max(hi_lat - lo_lat, (hi_lon - lo_lon) * 0.62, 1e-6)  # ~cos(52°): keep the shape

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return (PAD + (lon - lo_lon) * 0.62 / span * (H - 2 * PAD), H - PAD - (lat - lo_lat) / span * (H - 2 * PAD))

    ends = {c: "origin" for r in routes for c in r["origin"]} | {c: "destination" for r in routes
                                                                   for c in r["destination"]}
    corridor = {c for r in routes for c in r.get("corridor", [])}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="100%" role="img" '
           f'aria-labelledby="map-title" class="app-anpr-map"><title id="map-title">{escape(title)}</title>',
           f'<rect x="0" y="0" width="{W}" height="{H}" fill="#f3f2f1"/>']
    for cid, lat, lon in cameras:
        x, y = xy(lat, lon)
        kind = ends.get(cid) or ("corridor" if cid in corridor else "")
        colour = {"origin": "#1d70b8", "destination": "#d4351c", "corridor": "#505a5f"}.get(kind, "#b1b4b6")
        r = 4 if kind else 2
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{colour}"><title>{escape(cid)}'
                   f'{" (" + kind + ")" if kind else ""}</title></circle>')
    legs = []
    for a, b in zip(reads, reads[1:], strict=False):
        if b["t"] - a["t"] <= 6 * 3600:
            (x1, y1), (x2, y2) = xy(a["lat"], a["lon"]), xy(b["lat"], b["lon"])
            legs.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#00703c" '
                        'stroke-width="2" stroke-opacity="0.6"/>')
    out += legs
    for read in reads:
        x, y = xy(read["lat"], read["lon"])
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#00703c"><title>{escape(read["at"])} '
                   f'{escape(read["camera_id"])}</title></circle>')
    out.append(f'<text x="{PAD}" y="{H - 6}" font-size="12" fill="#0b0c0c">blue: origin cameras; red: destination; '
               'grey: corridor; green: this vehicle\'s reads, joined in time order</text></svg>')
    return "".join(out)
