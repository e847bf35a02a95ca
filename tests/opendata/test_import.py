from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from leds.config import Settings
from leds.db.engine import get_engine
from leds.opendata.importer import import_file
from leds.opendata.tables import opendata_imports, opendata_stop_search, opendata_street

DATA = Path("/work/shared/data/police-uk")
MET = DATA / "2022-08-metropolitan-stop-and-search.csv"
CITY = DATA / "2023-05-city-of-london-street.csv"


def counts(settings: Settings) -> tuple[int, int, int]:
    with get_engine(settings).connect() as conn:
        return tuple(int(conn.execute(select(func.count()).select_from(t)).scalar_one())  # type: ignore[return-value]
                     for t in (opendata_street, opendata_stop_search, opendata_imports))


def test_importing_the_same_files_twice_changes_nothing(settings: Settings) -> None:
    first = [import_file(get_engine(settings), p) for p in (MET, CITY)]
    assert [r.errors for r in first] == [[], []]
    assert counts(settings) == (774, 17286, 2)
    again = [import_file(get_engine(settings), p) for p in (MET, CITY)]
    assert [r.unchanged for r in again] == [True, True]
    assert counts(settings) == (774, 17286, 2)


def test_a_corrected_release_of_a_month_replaces_its_rows(settings: Settings, tmp_path: Path) -> None:
    import_file(get_engine(settings), CITY)
    fixed = tmp_path / CITY.name
    lines = CITY.read_text().splitlines(keepends=True)
    fixed.write_text("".join(lines[:-10]))  # the re-release drops ten rows
    r = import_file(get_engine(settings), fixed)
    assert not r.unchanged and r.rows == 764
    assert counts(settings)[0] == 764


def test_stop_and_search_by_ethnicity_matches_a_count_made_from_the_csv(settings: Settings) -> None:
    from leds.reports.statistics import stop_search

    import_file(get_engine(settings), MET)
    with MET.open(newline="") as f:
        rows = list(csv.DictReader(f))
    direct = Counter(r["Officer-defined ethnicity"] or "Not recorded" for r in rows)
    arrests = Counter(r["Officer-defined ethnicity"] or "Not recorded" for r in rows if r["Outcome"] == "Arrest")
    with get_engine(settings).connect() as conn:
        doc = stop_search(conn, force="metropolitan", month="2022-08", ethnicity="officer")
    got = {g["group"]: g for g in doc["groups"]}
    assert {k: v["searches"] for k, v in got.items()} == dict(direct)
    assert {k: v["arrests"] for k, v in got.items()} == dict(arrests)
    assert doc["total"] == len(rows) == 17286
    black, white = got["Black"], got["White"]
    # Outcome (arrest) rate ratio Black/White with its 95% interval, from the counts themselves.
    ratio = (arrests["Black"] / direct["Black"]) / (arrests["White"] / direct["White"])
    assert abs(black["arrest_rate_ratio"]["value"] - round(ratio, 3)) < 1e-9
    lo, hi = black["arrest_rate_ratio"]["ci95"]
    assert lo < ratio < hi
    assert white["arrest_rate_ratio"]["value"] == 1.0
    assert doc["cannot_show"]


def test_bad_rows_are_named_by_file_and_line_and_the_good_rows_kept(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "2023-05-city-of-london-street.csv"
    lines = CITY.read_text().splitlines(keepends=True)
    lines[3] = lines[3].replace("2023-05", "2023-06", 1)  # a row from another month, line 4
    lines[5] = ",".join(lines[5].split(",")[:6]) + "\n"  # a truncated row, line 6
    path.write_text("".join(lines))
    r = import_file(get_engine(settings), path)
    assert r.rows == 772 and r.rejected == 2
    assert any(e.startswith(f"{path}:4:") and "2023-06" in e for e in r.errors)
    assert any(e.startswith(f"{path}:6:") and "truncated" in e for e in r.errors)
    assert counts(settings)[0] == 772


def test_unexpected_columns_are_reported_on_line_one_and_the_known_ones_read(settings: Settings,
                                                                               tmp_path: Path) -> None:
    path = tmp_path / CITY.name
    with CITY.open(newline="") as src, path.open("w", newline="") as dst:
        w = csv.writer(dst)
        for i, row in enumerate(csv.reader(src)):
            w.writerow([*row, "Shoe size" if i == 0 else "9"])
    r = import_file(get_engine(settings), path)
    assert r.rows == 774
    assert r.errors and r.errors[0].startswith(f"{path}:1: unexpected columns ['Shoe size']")


def test_a_file_that_is_not_police_uk_is_refused_naming_it(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("a,b\n1,2\n")
    r = import_file(get_engine(settings), path)
    assert r.rows == 0 and r.errors[0].startswith(f"{path}:1: not a data.police.uk")
    shutil.copy(CITY, tmp_path / "copy.csv")  # a police.uk file under another name still imports
    assert import_file(get_engine(settings), tmp_path / "copy.csv").batch == "street/city-of-london/2023-05"


def test_population_gives_rates_per_resident_and_disparity_ratios(settings: Settings, tmp_path: Path) -> None:
    from leds.reports.statistics import stop_search

    import_file(get_engine(settings), MET)
    pop = tmp_path / "population.csv"
    pop.write_text("Force,Ethnicity,Population\nmetropolitan,White,4731172\nmetropolitan,Black,1188370\n"
                   "metropolitan,Asian,1817640\nmetropolitan,Other,550000\nmetropolitan,oops,many\n")
    r = import_file(get_engine(settings), pop)
    assert r.rows == 4 and r.rejected == 1 and r.errors[0].startswith(f"{pop}:6:")
    with get_engine(settings).connect() as conn:
        doc = stop_search(conn, force="metropolitan", month="2022-08")
    g = {x["group"]: x for x in doc["groups"]}
    assert doc["population_given"]
    assert g["Black"]["per_1000"] == round(1000 * 6919 / 1188370, 2)
    expected = (6919 / 1188370) / (6629 / 4731172)
    assert g["Black"]["disparity_ratio"]["value"] == round(expected, 3)
    lo, hi = g["Black"]["disparity_ratio"]["ci95"]
    assert lo < expected < hi
    assert "disparity_ratio" not in g["Not recorded"]


def test_imports_are_listed_over_the_api(settings: Settings) -> None:
    from ..callers import api_client

    import_file(get_engine(settings), CITY)
    client, auth = api_client(settings, "national_data_office_analyst", scopes=["view_reports"])
    with client:
        r = client.get("/api/v1/opendata/imports", headers=auth)
    assert r.status_code == 200
    assert [(x["batch"], x["rows"]) for x in r.json()] == [("street/city-of-london/2023-05", 774)]
