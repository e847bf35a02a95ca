"""The published evaluation, and the command line's search contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from leds.config import Settings
from leds.documents import evaluate, judged

from ..conftest import env_for

LEDS = str(Path(sys.executable).with_name("leds"))


def test_the_judged_collection_is_large_enough_and_word_match_alone_cannot_find_every_answer() -> None:
    docs, questions = judged.generate()
    assert len(docs) >= 1000 and len(questions) >= 50
    texts = {d.name: d.text.lower() for d in docs}
    unmatched = 0
    for q in questions:
        words = {w for w in q.text.lower().replace("?", "").split() if len(w) > 3} - {"which", "messages", "about",
                                                                                    "anything", "around", "find",
                                                                                    "mentions", "talked"}
        place = q.text.rstrip("?").split()[-1].lower()
        for name, grade in q.grades.items():
            if grade == 2 and not (words - {place}) & set(texts[name].replace(".", " ").replace(",", " ").split()):
                unmatched += 1
    assert unmatched > 100  # answers that share no word with their question but the place


def test_the_hybrid_beats_bm25_alone_and_embeddings_alone_on_ndcg_at_10(sqlite_settings: Settings) -> None:
    scores, info = evaluate.run(sqlite_settings)
    by = {s.mode: s for s in scores}
    assert info == {"documents": 1070, "questions": 54}
    assert by["hybrid"].ndcg10 > by["bm25"].ndcg10
    assert by["hybrid"].ndcg10 > by["vector"].ndcg10


def test_ndcg_and_recall_on_a_known_ranking() -> None:
    grades = {"a": 2, "b": 1, "c": 2}
    assert evaluate.ndcg(["a", "c", "b"], grades) == 1.0
    assert evaluate.ndcg(["x", "y"], grades) == 0.0
    assert evaluate.recall(["a", "b", "x"], grades) == 0.5


def test_cli_ingest_then_search_prints_the_results_contract(sqlite_settings: Settings, tmp_path: Path) -> None:
    files = tmp_path / "files"
    files.mkdir()
    (files / "a.txt").write_text("Dumped the blade in the canal near Armley.")
    (files / "b.txt").write_text("The boiler is playing up again.")
    env = env_for(sqlite_settings)
    run = subprocess.run([LEDS, "documents", "ingest", str(files), "--collection", "op-x", "--json"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["added"] == 2
    run = subprocess.run([LEDS, "documents", "search", "getting rid of a knife", "--collection", "op-x",
                          "--limit", "1", "--json"], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert list(out) == ["results"]
    assert [list(r) for r in out["results"]] == [["document", "score", "snippet"]]
    assert out["results"][0]["document"] == "a.txt"


def test_cli_ingest_in_the_background_is_searchable_by_words_at_once_and_finishes_later(
        sqlite_settings: Settings, tmp_path: Path) -> None:
    import time

    files = tmp_path / "files"
    files.mkdir()
    for i in range(30):
        (files / f"n{i}.txt").write_text(f"Note {i}: moving hot handsets at the market.")
    env = env_for(sqlite_settings)
    run = subprocess.run([LEDS, "documents", "ingest", str(files), "--collection", "op-bg", "--background",
                          "--json"], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["progress"]["searchable_by_words"] == 30 and report["background_pid"] > 0
    status: dict[str, int] = {}
    for _ in range(240):
        got = subprocess.run([LEDS, "documents", "status", "--collection", "op-bg", "--json"], env=env,
                             capture_output=True, text=True, timeout=120)
        status = json.loads(got.stdout)
        if status["fully_processed"] == 30:
            break
        time.sleep(0.5)
    assert status["fully_processed"] == 30
