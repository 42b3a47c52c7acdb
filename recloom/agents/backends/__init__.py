"""Backends: openai, vllm-server, vllm (offline), langchain, local (embedded non-LLM baseline).

Public API::

    from recloom.agents.backends import make_backend, LLMRequest, LLMResponse, Usage, Backend
"""

from recloom.agents.backends.base import Backend, LLMRequest, LLMResponse, Message, SamplingParams, Usage
from recloom.agents.backends.factory import BACKEND_KINDS, generation_extra, make_backend, normalize_kind

__all__ = [
    "BACKEND_KINDS",
    "Backend",
    "LLMRequest",
    "LLMResponse",
    "Message",
    "SamplingParams",
    "Usage",
    "generation_extra",
    "make_backend",
    "normalize_kind",
]
