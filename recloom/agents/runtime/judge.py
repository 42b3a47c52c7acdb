"""Judging one raw answer: finish reason -> JSON parse -> pydantic -> semantic validation.

Every rejection is an ``OutputError`` subclass (fed back to the model in a re-ask); nothing else is
raised for any text a model can produce. Truncation (``finish_reason == "length"``) is checked
first and is never parsed as success, even when the text happens to be valid JSON.

The common case (the whole answer is valid JSON for the output model) is one call of pydantic's
JSON validator (parse and validate in Rust, 3x cheaper than ``json.loads`` + ``model_validate``);
anything it rejects takes the step-by-step path below, so every error message is unchanged. Models
that validate strictly skip the shortcut: strict JSON-mode validation accepts strings for dates,
UUIDs and enums that strict Python-mode validation of the parsed JSON refuses.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from recloom.agents.backends.base import LLMResponse
from recloom.errors import (
    OutputError,
    ParseError,
    RefusalError,
    SchemaValidationError,
    SemanticValidationError,
    TruncatedOutputError,
)
from recloom.prompts.task import Task

_FENCE = re.compile(r"```(?:json)?\s*\n?(.*?)```", re.DOTALL)
_REFUSED = frozenset({"refusal", "content_filter"})
_MAX_ERRORS = 8


def judge(task: Task[Any, Any], inp: BaseModel, response: LLMResponse) -> tuple[BaseModel, bool]:
    """The validated output and whether the JSON had to be extracted from surrounding text."""
    reason = response.finish_reason
    if reason == "length":
        raise TruncatedOutputError(
            f"the answer stopped at the token limit ({response.usage.completion_tokens} completion tokens) "
            "before it was complete"
        )
    if reason in _REFUSED:
        raise RefusalError(f"the model refused or was filtered ({reason}): {response.text[:200]}")
    output = _validate_json(task.output_model, response.text)
    if output is not None:
        return validate_semantics(task, inp, output), False
    value, repaired = parse_json(response.text)
    output = validate_schema(task.output_model, value)
    return validate_semantics(task, inp, output), repaired


def _validate_json(model: type[BaseModel], text: str) -> BaseModel | None:
    """``model`` validated straight from ``text`` (whole text = one JSON value), else None."""
    if model.model_config.get("strict"):
        return None
    try:
        return model.model_validate_json(text)
    except (ValidationError, ValueError, TypeError, RecursionError):
        return None


def parse_json(text: str) -> tuple[Any, bool]:
    """Strict ``json.loads``; failing that, the last fenced block or the outermost ``{...}`` span."""
    stripped = text.strip()
    if not stripped:
        raise ParseError("the answer is empty; expected one JSON object")
    try:
        return json.loads(stripped), False
    except (json.JSONDecodeError, RecursionError) as exc:
        first_error = exc
    for candidate in _candidates(stripped):
        try:
            return json.loads(candidate), True
        except (json.JSONDecodeError, RecursionError):
            continue
    detail = first_error.msg if isinstance(first_error, json.JSONDecodeError) else "nesting too deep"
    where = (
        f" at line {first_error.lineno} column {first_error.colno}"
        if isinstance(first_error, json.JSONDecodeError)
        else ""
    )
    raise ParseError(f"the answer is not valid JSON ({detail}{where})")


def _candidates(text: str) -> list[str]:
    out = [m.group(1).strip() for m in _FENCE.finditer(text)][::-1]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        out.append(text[start : end + 1])
    return out


def validate_schema(model: type[BaseModel], value: Any) -> BaseModel:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise SchemaValidationError(describe_validation_error(exc)) from None
    except (TypeError, ValueError, RecursionError) as exc:  # exotic values pydantic refuses outright
        raise SchemaValidationError(f"the JSON does not match the schema: {type(exc).__name__}") from None


def describe_validation_error(exc: ValidationError) -> str:
    """Compact, model-readable list of schema errors (field path + message), without echoing the
    whole input back."""
    parts = []
    for err in exc.errors(include_url=False, include_input=False)[:_MAX_ERRORS]:
        loc = ".".join(str(p) for p in err.get("loc", ())) or "(root)"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    more = exc.error_count() - len(parts)
    suffix = f"; and {more} more" if more > 0 else ""
    return "the JSON does not match the schema: " + "; ".join(parts) + suffix


def validate_semantics(task: Task[Any, Any], inp: BaseModel, output: BaseModel) -> BaseModel:
    """Run the task's validator with the input as context. ``ValueError``/``AssertionError`` count
    as semantic rejections; a returned instance of the output model replaces the output."""
    if task.validator is None:
        return output
    try:
        checked = task.validator(output, inp)
    except OutputError:
        raise
    except (ValueError, AssertionError) as exc:
        raise SemanticValidationError(str(exc) or type(exc).__name__) from None
    return checked if isinstance(checked, task.output_model) else output
