"""A task: a named, versioned unit of LLM work.

It pairs a prompt template (files), an input model, an output model (pydantic) and an optional
semantic validator that sees the input as context (so an answer can be checked against what the
model was shown). ``Task.version`` is a content hash of the templates (including the shared re-ask
template), the output schema and the validator's identity (qualified name + ``validator_version``),
so editing any of them gives a new version and new cache keys.

A task may also carry a ``LocalSolver``: a deterministic non-LLM baseline used by the ``local``
backend (see ``recloom.prompts.solver``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from recloom.cache.canonical import canonical_json, content_hash, sha256_hex
from recloom.errors import ConfigError, DataError
from recloom.prompts.messages import Message
from recloom.prompts.schema import lint_schema, strict_schema
from recloom.prompts.solver import LocalSolver
from recloom.prompts.templates import PromptTemplate, reask_template

InT = TypeVar("InT", bound=BaseModel)
OutT = TypeVar("OutT", bound=BaseModel)

# validator(output, input) -> None (accept), a corrected output, or raise SemanticValidationError.
SemanticValidator = Callable[[Any, Any], Any]


@dataclass(frozen=True, eq=False)
class Task(Generic[InT, OutT]):
    name: str
    input_model: type[InT]
    output_model: type[OutT]
    template: PromptTemplate
    validator: SemanticValidator | None = None
    validator_version: str = "1"
    description: str = ""
    id_field: str = "id"
    max_tokens: int | None = None
    local_solver: LocalSolver | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("_", "").replace("-", "").replace(".", "").isalnum():
            raise ConfigError(
                f"task name {self.name!r} must be non-empty and use letters, digits, '_', '-', '.'"
            )
        if self.id_field not in self.input_model.model_fields:
            raise ConfigError(
                f"task {self.name!r}: input model {self.input_model.__name__} "
                f"has no id field {self.id_field!r}"
            )

    @cached_property
    def json_schema(self) -> dict[str, Any]:
        """The strict JSON schema every backend is given."""
        return strict_schema(self.output_model)

    @cached_property
    def schema_sha256(self) -> str:
        return content_hash(self.json_schema)

    @cached_property
    def schema_json(self) -> str:
        """The schema as compact JSON, for templates (``{{ schema_json }}``)."""
        return json.dumps(self.json_schema, separators=(",", ":"), sort_keys=True)

    @property
    def schema_name(self) -> str:
        return self.output_model.__name__

    @cached_property
    def validator_identity(self) -> str:
        if self.validator is None:
            return "none"
        fn = self.validator
        qualname = getattr(fn, "__qualname__", type(fn).__qualname__)
        return f"{getattr(fn, '__module__', '?')}.{qualname}@{self.validator_version}"

    @cached_property
    def version(self) -> str:
        """Content hash (12 hex) of templates + output schema + validator identity."""
        material = {
            "templates": self.template.sources,
            "reask": reask_template().sources,
            "schema": self.schema_sha256,
            "validator": self.validator_identity,
        }
        return sha256_hex(canonical_json(material))[:12]

    @cached_property
    def prompt_version(self) -> str:
        """Content hash (12 hex) of what shapes a generation: templates + output schema only."""
        material = {
            "templates": self.template.sources,
            "reask": reask_template().sources,
            "schema": self.schema_sha256,
        }
        return sha256_hex(canonical_json(material))[:12]

    @cached_property
    def schema_warnings(self) -> list[str]:
        return lint_schema(self.json_schema)

    def parse_input(self, value: Any, *, where: str = "") -> InT:
        """Validate one raw input (dict or model) into the input model; errors name task and where."""
        if isinstance(value, self.input_model):
            return value
        try:
            return self.input_model.model_validate(value)
        except ValidationError as exc:
            raise DataError(
                f"task {self.name!r}: invalid input{' ' + where if where else ''}: {exc}"
            ) from exc

    def input_id(self, inp: InT) -> str:
        return str(getattr(inp, self.id_field))

    @cached_property
    def _static_system(self) -> Message | None:
        if not self.template.system_is_static:
            return None
        return self.template.render_system({"schema_json": self.schema_json, "task_name": self.name})

    def render(self, inp: InT) -> tuple[Message, ...]:
        """The messages for one input: system (static part first), then user."""
        variables = inp.model_dump(mode="json")
        variables.update(input=inp, schema_json=self.schema_json, task_name=self.name)
        system = self._static_system
        if system is None:
            return self.template.render(variables)
        return (system, self.template.render_user(variables))

    def reask_message(self, error_kind: str, error_message: str) -> Message:
        text = reask_template().render_text(
            {"error_kind": error_kind, "error": error_message, "schema_json": self.schema_json}
        )
        return Message("user", text)

    def with_local_solver(self, solver: LocalSolver) -> Task[InT, OutT]:
        from dataclasses import replace

        return replace(self, local_solver=solver)

    def describe(self) -> Mapping[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "prompt_version": self.prompt_version,
            "input": self.input_model.__name__,
            "output": self.output_model.__name__,
            "validator": self.validator_identity,
            "local_solver": self.local_solver.identity if self.local_solver else None,
            "template_dir": str(self.template.directory),
            "description": self.description,
        }
