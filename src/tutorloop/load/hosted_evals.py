"""Take eval definitions and run data out of OpenAI's hosted Evals, to grade them locally.

The hosted platform went read-only on 2026-10-31 and shuts down on 2026-11-30. An eval comes
from a saved ``GET /v1/evals/{id}`` JSON file (:func:`read_definition`) or from the API through
the official SDK (:func:`fetch_definition`); a run's output items from the API
(:func:`fetch_output_items`) or a saved file (:func:`read_output_items`). :func:`import_eval`
checks the ``testing_criteria`` with tutorloop's grader registry and writes, atomically,
``eval.json`` (the definition as fetched), ``graders.yaml`` (the graders, headed by the eval
id), ``dataset.jsonl`` (``{"item": ..., "sample": {"output_text": ...}}`` per output item) and
``hosted_results.jsonl`` (per output item, the hosted grader ``results`` as given).
"""

from __future__ import annotations

import json
import shlex
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from tutorloop.atomic import atomic_path, atomic_write_text
from tutorloop.errors import (
    ConfigError,
    Problem,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    for_http_status,
)
from tutorloop.load.eval_items import check_output_item, output_item_rows, read_output_items
from tutorloop.load.lines import JsonProblem, parse_json, read_text

if TYPE_CHECKING:  # the SDK is imported only when a command talks to the API
    import openai
    from openai import OpenAI
    from openai.resources.evals import Evals

    from tutorloop.grade import GraderSpec

__all__ = [
    "MODEL_GRADER_TYPES",
    "EvalDefinition",
    "ImportReport",
    "fetch_definition",
    "fetch_output_items",
    "import_eval",
    "latest_run_id",
    "read_definition",
    "read_output_items",
]

MODEL_GRADER_TYPES = frozenset({"score_model", "label_model"})
"""Grader types that call a model: they need ``--grader-model`` or a provider key."""


class EvalDefinition(BaseModel):
    """An eval as ``GET /v1/evals/{id}`` returns it; fields beyond these are kept as given."""

    model_config = ConfigDict(extra="allow")

    id: str
    name: str
    data_source_config: dict[str, Any]
    testing_criteria: list[dict[str, Any]]
    metadata: dict[str, Any] | None = None
    created_at: int | None = None
    object: str = "eval"

    def item_schema(self) -> dict[str, Any] | None:
        """The JSON Schema of ``item``: ``item_schema``, or ``schema.properties.item``."""
        config = self.data_source_config
        schema = config.get("item_schema")
        if not isinstance(schema, dict):
            full = config.get("schema")
            schema = full.get("properties", {}).get("item") if isinstance(full, dict) else None
        return schema if isinstance(schema, dict) else None


class ImportReport(BaseModel):
    """What :func:`import_eval` wrote, and what the user needs before grading."""

    eval_id: str
    eval_name: str
    files: dict[str, Path]
    """``eval``, ``graders``, ``dataset``, ``hosted_results`` → the file written."""
    graders: list[str]
    model_graders: list[str]
    """Graders that call a model (``score_model``/``label_model``, also inside ``multi``)."""
    grader_models: list[str]
    """The models those graders name in the hosted eval, e.g. ``gpt-4``."""
    items: int
    """Lines in ``dataset.jsonl`` (and in ``hosted_results.jsonl``)."""
    items_with_sample: int
    run_ids: list[str]
    notes: list[str]
    next_command: str


def read_definition(path: str | Path) -> EvalDefinition:
    """Read a file holding the JSON of ``GET /v1/evals/{id}``; errors name file and field."""
    file = Path(path)
    if not file.exists():
        raise ConfigError("the eval definition file does not exist", path=str(file))
    text = read_text(file)
    if isinstance(text, Problem):
        raise ConfigError(f"cannot read the eval definition: {text}", path=str(file))
    data = parse_json(text)
    if isinstance(data, JsonProblem):
        where = f"line {data.line}, column {data.column}" if data.column else "line 1"
        reason = data.message.removeprefix("invalid JSON: ").rsplit(" (column", 1)[0]
        raise ConfigError(f"invalid JSON at {where}: {reason}", path=str(file))
    return _definition(data, str(file))


def evals_of(client: OpenAI) -> Evals:
    """``client.evals`` without the SDK's notice that OpenAI's hosted Evals API shut down.

    tutorloop serves and imports that API on purpose, so the notice says nothing to its users.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The Evals API is deprecated", DeprecationWarning)
        return client.evals


def fetch_definition(eval_id: str, client: OpenAI) -> EvalDefinition:
    """``client.evals.retrieve(eval_id)`` as an :class:`EvalDefinition`."""
    with sdk_errors(client, f"eval {eval_id}"):
        fetched = evals_of(client).retrieve(eval_id)
    return _definition(fetched.to_dict(mode="json", warnings=False), f"eval {eval_id}")


def latest_run_id(eval_id: str, client: OpenAI) -> str | None:
    """The newest completed run of the eval, else its newest run; None when it has none."""
    newest: str | None = None
    with sdk_errors(client, f"runs of eval {eval_id}"):
        for run in evals_of(client).runs.list(eval_id, order="desc", limit=100):
            newest = newest or run.id
            if run.status == "completed":
                return run.id
    return newest


def fetch_output_items(
    eval_id: str, client: OpenAI, run_id: str | None = None, *, page_size: int = 100
) -> Iterator[dict[str, Any]]:
    """Every output item of a run (default: :func:`latest_run_id`), page after page, as JSON."""
    chosen = run_id or latest_run_id(eval_id, client)
    if chosen is None:
        return
    with sdk_errors(client, f"output items of run {chosen} of eval {eval_id}"):
        pages = evals_of(client).runs.output_items.list(chosen, eval_id=eval_id, limit=page_size)
        for output in pages:  # the SDK fetches the next page when one is used up
            yield output.to_dict(mode="json", warnings=False)


def import_eval(
    definition: EvalDefinition, output_items: Iterable[Mapping[str, Any]], out_dir: str | Path
) -> ImportReport:
    """Check the eval's graders, then write its four files into ``out_dir`` atomically.

    Args:
        definition: The hosted eval.
        output_items: Output items of one of its runs, as the API returns them; none gives an
            empty dataset for the user to fill.
        out_dir: The folder (created when missing; files already there are replaced).

    Raises:
        ConfigError: a grader tutorloop cannot run (naming the grader and the field), or an
            entry that is not an output item of this eval.
    """
    from tutorloop.grade import parse_criteria  # grade reads load: imported when used

    graders = parse_criteria(definition.testing_criteria, f"eval {definition.id}: testing_criteria")
    out = Path(out_dir)
    names = ("eval.json", "graders.yaml", "dataset.jsonl", "hosted_results.jsonl")
    files = {name.split(".")[0]: out / name for name in names}
    items = with_sample = 0
    run_ids: dict[str, None] = {}
    with (
        atomic_path(files["dataset"]) as data_tmp,
        atomic_path(files["hosted_results"]) as hosted_tmp,
        data_tmp.open("w", encoding="utf-8") as data,
        hosted_tmp.open("w", encoding="utf-8") as hosted,
    ):
        for index, raw in enumerate(output_items):
            entry = check_output_item(raw, f"output item {index}")
            if entry.get("eval_id") not in (None, definition.id):
                where = f"output item {index} ({entry.get('id')})"
                raise ConfigError(f"{where} is from eval {entry['eval_id']}, not {definition.id}")
            items += 1
            line, result = output_item_rows(entry, items)
            with_sample += "sample" in line
            if isinstance(entry.get("run_id"), str):
                run_ids[entry["run_id"]] = None
            data.write(json.dumps(line, ensure_ascii=False) + "\n")
            hosted.write(json.dumps(result, ensure_ascii=False) + "\n")
    as_fetched = definition.model_dump(mode="json", exclude_unset=True)
    atomic_write_text(files["eval"], json.dumps(as_fetched, indent=2, ensure_ascii=False) + "\n")
    atomic_write_text(files["graders"], _graders_yaml(definition, graders))
    models = {g.name: _models(g.to_spec()) for g in graders}
    model_graders = [name for name, used in models.items() if used]
    named = sorted({m for used in models.values() for m in used})
    return ImportReport(
        eval_id=definition.id,
        eval_name=definition.name,
        files=files,
        graders=[g.name for g in graders],
        model_graders=model_graders,
        grader_models=named,
        items=items,
        items_with_sample=with_sample,
        run_ids=list(run_ids),
        notes=_notes(definition, items, model_graders, named),
        next_command=_next_command(files, bool(model_graders)),
    )


# --------------------------------------------------------------------------- helpers


def _definition(data: Any, source: str) -> EvalDefinition:
    if not isinstance(data, dict) or data.get("object") == "list":
        found = "a list of evals" if isinstance(data, dict) else type(data).__name__
        raise ConfigError(f"expected one eval (GET /v1/evals/{{id}}), found {found}", path=source)
    try:
        return EvalDefinition.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        raise ConfigError(str(first["msg"]), path=source, field=field) from exc


def _models(spec: Any) -> list[str]:
    """The models named by the model graders in ``spec``, nested ones (``multi``) included."""
    if isinstance(spec, list):
        return [m for value in spec for m in _models(value)]
    if not isinstance(spec, dict):
        return []
    found = [m for value in spec.values() for m in _models(value)]
    if spec.get("type") in MODEL_GRADER_TYPES:
        found.insert(0, str(spec.get("model") or "?"))
    return found


def _graders_yaml(definition: EvalDefinition, graders: list[GraderSpec]) -> str:
    header = (
        f"# Imported from OpenAI Evals: eval {definition.id} ({json.dumps(definition.name)}).\n"
        "# The hosted definition is in eval.json; the hosted scores in hosted_results.jsonl.\n"
    )
    from tutorloop.grade import dump_graders  # grade reads load: imported when used

    specs = [{"type": s["type"], **s} for s in dump_graders(graders)["testing_criteria"]]
    body = yaml.safe_dump({"testing_criteria": specs}, sort_keys=False, allow_unicode=True)
    return header + body


def _notes(
    definition: EvalDefinition, items: int, model_graders: list[str], models: list[str]
) -> list[str]:
    notes: list[str] = []
    if items == 0:
        required = (definition.item_schema() or {}).get("required") or []
        fields = f" with {', '.join(map(str, required))}" if required else ""
        notes.append(
            f'no output items: dataset.jsonl is empty; add one {{"item": {{...}}}} line per item'
            f"{fields} (see item_schema in eval.json), or import a run (--run-id, --items-file)"
        )
    if model_graders:
        notes.append(
            f"{len(model_graders)} grader(s) call a model (hosted: {', '.join(models)}): pass "
            "--grader-model PROVIDER/MODEL, or set OPENAI_API_KEY to call openai/<that model>"
        )
    return notes


def _next_command(files: dict[str, Path], needs_model: bool) -> str:
    words = ["tutorloop", "grade", str(files["dataset"]), "--graders", str(files["graders"])]
    command = " ".join(shlex.quote(w) for w in words)
    return command + (" --grader-model PROVIDER/MODEL" if needs_model else "")


@contextmanager
def sdk_errors(client: OpenAI, what: str) -> Iterator[None]:
    """Map the SDK's errors to tutorloop's (4xx → request error), naming ``what``, never the key."""
    import openai

    try:
        yield
    except openai.APIStatusError as exc:
        raise _status_error(exc, client, what) from exc
    except openai.APITimeoutError as exc:
        raise ProviderTimeout(f"{what}: {client.base_url} did not answer in time") from exc
    except openai.APIError as exc:  # connection failed, or a reply that is not the object
        detail = f"no usable reply from {client.base_url}: {_redact(str(exc), client)}"
        raise ProviderUnavailable(f"{what}: {detail}") from exc


def _status_error(exc: openai.APIStatusError, client: OpenAI, what: str) -> ProviderError:
    status = exc.status_code
    said = str((exc.body if isinstance(exc.body, dict) else {}).get("message") or exc.message)
    detail = f"{what}: HTTP {status} from {client.base_url}: {_redact(said, client)}"
    return for_http_status(
        status,
        detail,
        hints={
            401: " (check OPENAI_API_KEY)",
            403: " (the key's project may not have access to this eval)",
            404: " (check the eval id, the run id and the base URL)",
        },
    )


def _redact(text: str, client: OpenAI) -> str:
    key = client.api_key
    return text.replace(key, "[redacted]") if key and len(key) >= 4 else text
