"""What validating a look-up's answer against its response model would cost, beside writing
it with orjson as the routes do:

    .venv/bin/python bench/answer_cost.py

Over a small store (the tests' two forces), in process: for the answer of each look-up,
microseconds for ``orjson.dumps``, ``Model.model_validate`` and validate + dump + orjson
(what FastAPI does with a dict returned under ``response_model``).  A few seconds.
"""

from __future__ import annotations

import sys
import tempfile
import timeit
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(n: int = 2000) -> None:
    from tests.callers import lookup
    from tests.factories import P1, load, mps_records, wyp_records

    from leds.checks.models import (
        PersonCheckAnswer,
        PersonQuery,
        SearchQuery,
        VehicleCheckAnswer,
        VehicleQuery,
    )
    from leds.checks.service import person_check, vehicle_check
    from leds.config import Settings
    from leds.db.engine import get_engine
    from leds.persons.models import PersonView
    from leds.persons.service import person_view
    from leds.search.models import SearchPage
    from leds.search.service import search

    settings = Settings(home=Path(tempfile.mkdtemp()) / "home")
    load(settings, wyp_records() + mps_records())
    with get_engine(settings).connect() as conn:
        answers = {
            "person check": (PersonCheckAnswer, person_check(conn, lookup()[0], PersonQuery(
                surname="Smith", forename="John", dob="1984-03-07"))),
            "vehicle check": (VehicleCheckAnswer, vehicle_check(conn, lookup()[0], VehicleQuery(vrm="AB12CDE"))),
            "search": (SearchPage, search(conn, lookup()[0], SearchQuery(surname="S*"))),
            "person view": (PersonView, person_view(conn, lookup()[0], P1)),
        }
    for name, (model, a) in answers.items():
        dump = timeit.timeit(lambda: orjson.dumps(a), number=n) / n * 1e6  # noqa: B023
        val = timeit.timeit(lambda: model.model_validate(a), number=n) / n * 1e6  # noqa: B023
        both = timeit.timeit(lambda: orjson.dumps(model.model_validate(a).model_dump(mode="json")),  # noqa: B023
                             number=n) / n * 1e6
        print(f"{name:14} {len(orjson.dumps(a)):6} bytes  orjson.dumps {dump:6.1f} us  "
              f"model_validate {val:6.1f} us  validate+dump+orjson {both:6.1f} us")


if __name__ == "__main__":
    main()
