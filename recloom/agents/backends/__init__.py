"""Backends: openai, vllm-server, vllm (offline), langchain, local (embedded non-LLM baseline)."""
