"""Cache keys: canonical, stable across processes, sensitive to every generation field, blind to
credentials."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

from recloom.cache import KeyMaterial, canonical_json, diff_material, key_of
from recloom.errors import CacheError


def material(**kw) -> KeyMaterial:
    base = dict(
        backend="openai",
        model="gpt-4o-mini",
        task="label",
        task_version="abc123",
        schema_sha256="s" * 64,
        messages=(("system", "You label."), ("user", "ID: 1\nTEXT: héllo")),
        sampling={"temperature": 0.0, "max_tokens": 64, "top_p": 1.0, "seed": 0},
        extra={},
    )
    base.update(kw)
    return KeyMaterial(**base)


def test_key_is_sha256_of_canonical_json_of_the_material():
    m = material()
    expected = hashlib.sha256(
        json.dumps(m.as_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    assert m.key == expected == key_of(m.as_dict())


def test_golden_key_is_stable_across_processes_and_releases():
    code = (
        "from recloom.cache import KeyMaterial as K;"
        "print(K('openai','m','t','v','s',(('user','x'),),{'temperature':0.0},{}).key)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == KeyMaterial("openai", "m", "t", "v", "s", (("user", "x"),), {"temperature": 0.0}, {}).key
    # Pinned: if this changes, every existing cache silently misses. Bump KEY_FORMAT on purpose instead.
    assert out == "8baa2337b74ff3f3d9583e6702101a08e47656676f8075bbea19a8300c8524ed"


@pytest.mark.parametrize(
    "change",
    [
        {"backend": "vllm-server"},
        {"model": "gpt-4o"},
        {"task": "other"},
        {"task_version": "abc124"},
        {"schema_sha256": "t" * 64},
        {"messages": (("system", "You label."), ("user", "ID: 1\nTEXT: hello"))},
        {"sampling": {"temperature": 0.0, "max_tokens": 65, "top_p": 1.0, "seed": 0}},
        {"sampling": {"temperature": 0.0, "max_tokens": 64, "top_p": 1.0, "seed": 1}},
        {"extra": {"solver": "x@2"}},
    ],
)
def test_every_field_that_shapes_the_generation_changes_the_key(change):
    assert material(**change).key != material().key


def test_material_has_no_place_for_credentials_or_urls():
    text = canonical_json(material().as_dict())
    assert "http" not in text and "key" not in json.loads(text)
    assert set(material().as_dict()) == {
        "format",
        "backend",
        "model",
        "task",
        "task_version",
        "schema_sha256",
        "messages",
        "sampling",
        "extra",
    }


def test_non_json_values_are_refused_not_stringified():
    with pytest.raises(CacheError, match="not plain JSON"):
        canonical_json({"x": object()})
    with pytest.raises(CacheError):
        canonical_json({"x": float("nan")})


def test_diff_names_fields_and_the_first_differing_character():
    wanted = material(
        sampling={"temperature": 0.7, "max_tokens": 64, "top_p": 1.0, "seed": 0},
        messages=(("system", "You label."), ("user", "ID: 1\nTEXT: hallo")),
    ).as_dict()
    diffs = diff_material(wanted, material().as_dict())
    assert "sampling.temperature: wanted 0.7, stored 0.0" in diffs
    assert any(d.startswith("messages[1] (user): differs from character 13") for d in diffs)
    assert diff_material(material().as_dict(), material().as_dict()) == []


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(
    st.lists(st.tuples(st.sampled_from(["system", "user", "assistant"]), st.text(max_size=400)), max_size=4),
    st.text(max_size=20),
    st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3),
)
def test_fast_canonical_form_equals_generic_canonical_json(messages, model, extra):
    m = material(messages=tuple(messages), model=model, extra=extra)
    assert m.canonical() == canonical_json(m.as_dict())


def test_equal_but_differently_typed_values_give_different_keys():
    keys = {material(extra={"x": v}).key for v in (1, 1.0, True)}
    assert len(keys) == 3
