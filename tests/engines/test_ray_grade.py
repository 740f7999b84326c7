"""``grade --engine ray`` gives every result the local engine gives, on the same input."""

import json
from pathlib import Path
from typing import Any

import pytest

from tutorloop.bundled import synthetic_session, write_synthetic_jsonl
from tutorloop.engines import RayOptions, import_results, ray_grade_paths
from tutorloop.run import RunConfig, grade_paths
from tutorloop.store import Store

from .marks import RAY_TEST_MARKS

pytestmark = RAY_TEST_MARKS

SESSIONS = 20_000
SHARDS = 4


def stored(db: Path, run_id: str) -> dict[str, Any]:
    """Every item and grade of a run, without what differs between runs (ids, times, order)."""
    with Store.open(db) as store:
        items = {}
        for item in store.iter_items(run_id):
            result = item.result.model_dump(mode="json") if item.result else None
            if result is not None:
                result.pop("evaluated_at", None)
            items[item.item_key] = (item.status, item.source, item.error_type, result)
        grades: dict[str, list[Any]] = {}
        for grade in store.iter_grades(run_id):
            data = grade.model_dump(mode="json", exclude={"run_id"})
            grades.setdefault(grade.item_key, []).append(data)
        manifest = store.get_run(run_id)
    return {"items": items, "grades": grades, "counts": manifest.counts.model_dump()}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("shards")
    per = SESSIONS // SHARDS
    paths = []
    for shard in range(SHARDS):
        path = folder / f"part-{shard}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for i in range(shard * per, (shard + 1) * per):
                out.write(json.dumps(synthetic_session(i, turns=4 + i % 13)) + "\n")
        paths.append(path)
    bad = folder / "bad.jsonl"
    bad.write_text(
        '{"session_id": "broken", "domain": "math", "trajectory": [{"role": "x"\n'
        "\n"
        '{"session_id": "nobody", "domain": "math", "trajectory": []}\n'
        '{"session_id": "synthetic.00000007", "domain": "math", '
        '"trajectory": [{"role": "user", "content": "a duplicate id"}]}\n',
        encoding="utf-8",
    )
    return [*paths, bad]


def test_ray_grades_20000_sessions_exactly_as_the_local_engine(ray_address, inputs, tmp_path):
    local_db, ray_db = tmp_path / "local.db", tmp_path / "ray.db"
    local = grade_paths(inputs, options=RunConfig(run_id="L", store_path=local_db))
    on_ray = ray_grade_paths(
        inputs, options=RunConfig(run_id="R", store_path=ray_db), ray_options=RayOptions()
    )
    expected, got = stored(local_db, "L"), stored(ray_db, "R")
    assert len(expected["items"]) == SESSIONS + 0  # the duplicate is reported, not stored
    assert got["counts"] == expected["counts"]
    assert got["items"].keys() == expected["items"].keys()
    for key, value in expected["items"].items():
        assert got["items"][key] == value, key
    assert got["grades"] == expected["grades"]
    assert sorted(map(str, on_ray.problems)) == sorted(map(str, local.problems))
    assert len(local.problems) == 3  # broken JSON, empty trajectory, duplicate id


def test_import_results_again_adds_nothing(ray_address, tmp_path):
    source = write_synthetic_jsonl(tmp_path / "s.jsonl", 50)
    db = tmp_path / "store.db"
    out = tmp_path / "out"
    report = ray_grade_paths([source], options=RunConfig(run_id="I", store_path=db), out_dir=out)
    assert report.new_items == 50
    assert (out / "manifest.json").exists() and list((out / "results").glob("*.parquet"))
    again = import_results(out, db)
    assert again.new_items == 0 and again.resumed_items == 50
    with Store.open(db) as store:
        assert store.get_run("I").counts.done == 50
    other = tmp_path / "elsewhere.db"
    assert import_results(out, other).new_items == 50


def test_parquet_shards_grade_like_their_jsonl(ray_address, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    records = [synthetic_session(i, turns=6) for i in range(30)]
    records[3]["learner_profile"] = {"level": "beginner"}
    jsonl = tmp_path / "s.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "s.parquet")
    grade_paths([jsonl], options=RunConfig(run_id="J", store_path=tmp_path / "j.db"))
    ray_grade_paths(
        [tmp_path / "s.parquet"], options=RunConfig(run_id="P", store_path=tmp_path / "p.db")
    )
    expected, got = stored(tmp_path / "j.db", "J"), stored(tmp_path / "p.db", "P")
    assert got["grades"] == expected["grades"]
    assert {k: v[3] for k, v in got["items"].items()} == {
        k: v[3] for k, v in expected["items"].items()
    }


def test_judge_and_model_graders_on_ray_match_the_local_engine(ray_address, tmp_path):
    from tutorloop.bundled import bundled_graders, bundled_sessions
    from tutorloop.run import ModelGrading

    models = ModelGrading(
        graders_path=bundled_graders(), grader_model="sim/study", judge_model="sim/study"
    )
    paths = [bundled_sessions(), write_synthetic_jsonl(tmp_path / "s.jsonl", 40)]
    grade_paths(paths, options=RunConfig(run_id="L", store_path=tmp_path / "l.db"), models=models)
    report = ray_grade_paths(
        paths,
        options=RunConfig(run_id="R", store_path=tmp_path / "r.db"),
        models=models,
    )
    assert report.manifest.config["models"]["judge_model"] == "sim/study"
    expected, got = stored(tmp_path / "l.db", "L"), stored(tmp_path / "r.db", "R")
    assert got["items"] == expected["items"]
    assert got["grades"] == expected["grades"]
    assert any(g["source"] != "heuristic" for gs in got["grades"].values() for g in gs)
