"""Prompt templates (files under ``templates/``) and the task registry that pairs each template with
its input model, output model and semantic validator. No torch, no backend code here.

Public API::

    from recloom.prompts import Task, PromptTemplate, get_task, register_task, local_solver
"""

from recloom.prompts.messages import Message, Role
from recloom.prompts.registry import TaskRegistry, default_registry, get_task, register_task
from recloom.prompts.schema import lint_schema, strict_schema
from recloom.prompts.solver import FunctionSolver, LocalSolver, local_solver
from recloom.prompts.task import SemanticValidator, Task
from recloom.prompts.templates import BUILTIN_TEMPLATES, PromptTemplate

__all__ = [
    "BUILTIN_TEMPLATES",
    "FunctionSolver",
    "LocalSolver",
    "Message",
    "PromptTemplate",
    "Role",
    "SemanticValidator",
    "Task",
    "TaskRegistry",
    "default_registry",
    "get_task",
    "lint_schema",
    "local_solver",
    "register_task",
    "strict_schema",
]
