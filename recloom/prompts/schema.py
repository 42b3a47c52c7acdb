"""One schema contract for every backend, derived from the task's pydantic output model.

``strict_schema`` gives the form OpenAI's strict structured outputs accept (every object closed with
``additionalProperties: false``, every property required, no ``default``); vLLM and LangChain get the
same dict. ``lint_schema`` lists keywords that grammar engines are known to drop silently
(vllm-project/vllm#45592 pattern+maxLength, #56556 allOf, #57550 constraints without ``type``), so a
task author hears about them before a run; answers are always re-validated with pydantic anyway.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel

_WEAK_KEYWORDS = {
    "allOf": "allOf is ignored by some grammar backends (vllm#56556)",
    "not": "'not' is not enforced by grammar backends",
    "if": "if/then/else is not enforced by grammar backends",
    "patternProperties": "patternProperties is not enforced by grammar backends",
    "dependentRequired": "dependentRequired is not enforced by grammar backends",
}
_CONSTRAINTS = {"minimum", "maximum", "minLength", "maxLength", "pattern", "minItems", "maxItems", "enum"}


def output_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema pydantic produces for ``model`` (validation mode)."""
    return model.model_json_schema()


def strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s schema rewritten for strict structured output (closed objects, all required)."""
    schema = copy.deepcopy(output_schema(model))
    _close(schema)
    return schema


def _close(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("default", None)
        if node.get("type") == "object" and isinstance(node.get("properties"), dict):
            node["additionalProperties"] = False
            node["required"] = list(node["properties"])
        for value in node.values():
            _close(value)
    elif isinstance(node, list):
        for value in node:
            _close(value)


# String keywords OpenAI's strict mode rejects ("not permitted"); the answer is still checked
# against the full schema by pydantic, and templates show the model the full schema.
_OPENAI_UNSUPPORTED = frozenset({"minLength", "maxLength"})


def openai_strict_subset(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` without the keywords OpenAI's strict structured outputs refuse."""
    return _drop(schema, _OPENAI_UNSUPPORTED)


def _drop(node: Any, keywords: frozenset[str], names: bool = False) -> Any:
    """Remove ``keywords`` from every schema object; keys of ``properties``/``$defs`` are names."""
    if isinstance(node, dict):
        if names:
            return {k: _drop(v, keywords) for k, v in node.items()}
        return {
            k: _drop(v, keywords, names=k in ("properties", "$defs", "definitions", "patternProperties"))
            for k, v in node.items()
            if k not in keywords
        }
    if isinstance(node, list):
        return [_drop(v, keywords) for v in node]
    return node


def lint_schema(schema: dict[str, Any]) -> list[str]:
    """Warnings about keywords that constrained decoding may silently weaken. Empty when clean."""
    warnings: list[str] = []
    _lint(schema, "#", warnings)
    return warnings


def _lint(node: Any, where: str, out: list[str]) -> None:
    if isinstance(node, list):
        for i, value in enumerate(node):
            _lint(value, f"{where}/{i}", out)
        return
    if not isinstance(node, dict):
        return
    for keyword, why in _WEAK_KEYWORDS.items():
        if keyword in node:
            out.append(f"{where}: {why}")
    if "pattern" in node and ("maxLength" in node or "minLength" in node):
        out.append(f"{where}: pattern with min/maxLength loses the length bound in xgrammar (vllm#45592)")
    if "type" not in node and _CONSTRAINTS & node.keys() and "$ref" not in node:
        out.append(f"{where}: constraints without 'type' can be missed by feature detection (vllm#57550)")
    for key, value in node.items():
        if key not in ("enum", "const", "default", "examples"):
            _lint(value, f"{where}/{key}", out)
