"""Wire contracts: examples and real outputs validate against the JSON Schemas; typed records agree."""

from __future__ import annotations

from typing import get_type_hints

import jsonschema
import orjson
import pytest

from agents.replay import read_lines, replay
from schemas import SCHEMA_NAMES, load_example, load_schema
from schemas.records import AlertV1, ArticleV1, DeadLetterV1
from tests.conftest import REPO

SAMPLES = REPO / "agents" / "samples" / "wires.jsonl"


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = load_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_example_validates_against_its_schema(name):
    """Each shipped example payload is valid under its topic's schema."""
    _validator(name).validate(load_example(name))


@pytest.fixture(scope="module")
def sample_outputs(tmp_path_factory, request):
    from agents.resources import load_config

    out = tmp_path_factory.mktemp("replay")
    paths = {name: out / f"{name}.jsonl" for name in ("articles", "alerts", "deadletter")}
    handles = {name: path.open("wb") for name, path in paths.items()}
    replay(
        load_config(),
        read_lines([SAMPLES]),
        articles_out=handles["articles"],
        alerts_out=handles["alerts"],
        deadletter_out=handles["deadletter"],
    )
    for handle in handles.values():
        handle.close()
    return {name: [orjson.loads(line) for line in path.read_bytes().splitlines()] for name, path in paths.items()}


@pytest.mark.parametrize(
    ("output", "schema"), [("articles", "article"), ("alerts", "alert"), ("deadletter", "deadletter")]
)
def test_replay_outputs_validate(sample_outputs, output, schema):
    """Every record replay writes for the bundled samples is valid under the published schema."""
    records = sample_outputs[output]
    assert records
    validator = _validator(schema)
    for record in records:
        validator.validate(record)


def test_raw_samples_validate_except_the_broken_line():
    """The bundled raw wires fit the raw-article schema; the one deliberately broken line is not JSON."""
    validator = _validator("raw-article")
    lines = SAMPLES.read_bytes().splitlines()
    for line in lines[:-1]:
        validator.validate(orjson.loads(line))
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(lines[-1])


@pytest.mark.parametrize(
    ("record", "schema"), [(ArticleV1, "article"), (AlertV1, "alert"), (DeadLetterV1, "deadletter")]
)
def test_typed_records_match_schema_properties(record, schema):
    """The TypedDicts consumers import name exactly the schema's properties."""
    assert set(get_type_hints(record)) == set(load_schema(schema)["properties"])
