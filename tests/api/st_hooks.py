"""Schemathesis hooks for the contract test (loaded through SCHEMATHESIS_HOOKS).

``POST /api/v1/updategrams`` takes NDJSON, a media type Schemathesis cannot generate by itself:
draw a few lines, each a JSON object (a well-formed or a malformed updategram alike: every
line is answered in the summary, never by a failure of the request)."""

from __future__ import annotations

import json

import schemathesis
from hypothesis import strategies as st

_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                     max_size=3),
                       max_leaves=8)
_lines = st.lists(st.dictionaries(st.sampled_from(["force", "source", "sequence", "op", "record", "issued_at"]),
                                  _values, max_size=6), min_size=1, max_size=4)

schemathesis.openapi.media_type("application/x-ndjson",
                                _lines.map(lambda ls: "".join(json.dumps(x) + "\n" for x in ls).encode()))
