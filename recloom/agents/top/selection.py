"""Step S8 — candidate items and the selection score, Eq. (4), and the synthetic interactions R⁺
(ToP-Rec, seed 000; methods.md §1.2 S8, §1.5 item 5, §1.6). No LLM, numpy only.

For user u with chosen leaves {v₁..v_n}: candidates C_u = items pre-assigned to a chosen leaf, minus
u's training items (distinct). With c_u(v) = number of u's training items in leaf v:

    s_rel(u,i) = cos(Enc(A_u), Enc(A_i))          s_div(u,i) = 1 / (1 + c_u(v_i))
    s(u,i)     = (1 − ω)·mm(s_rel) + ω·mm(s_div)   mm = min–max over C_u (0 when constant)

The top ``n_aug`` candidates by s (ties: lower item id) become synthetic interactions, each with its
provenance: user, item, leaf, score, raw and normalised s_rel and s_div, and the leaf's reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from recloom.agents.artifacts import new_run_id, read_jsonl, write_jsonl, write_manifest
from recloom.agents.top.config import SelectConfig
from recloom.agents.top.embedding import Embedder, shared_embedder, unit
from recloom.agents.top.items import ItemTable, UserRecord
from recloom.agents.top.reason import UserLeaves
from recloom.errors import ArtifactError, DataError
from recloom.graph.tree import PreferenceTree

SYNTHETIC_FILE = "synthetic.jsonl"
_FIELDS = ("user", "item", "leaf", "score", "s_rel", "s_div", "s_rel_norm", "s_div_norm", "reason")


@dataclass(frozen=True)
class SyntheticInteractions:
    """Synthetic (user, item) edges with their provenance, one row per edge."""

    rows: tuple[dict[str, Any], ...]
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def __len__(self) -> int:
        return len(self.rows)

    def pairs(self) -> np.ndarray:
        """int64[n, 2] of (user, item)."""
        return np.array([(r["user"], r["item"]) for r in self.rows], dtype=np.int64).reshape(-1, 2)

    def by_user(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for r in self.rows:
            out.setdefault(int(r["user"]), []).append(int(r["item"]))
        return out

    def save(self, path: str | Path) -> Path:
        write_jsonl(path, self.rows)
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> SyntheticInteractions:
        p = Path(path)
        p = p / SYNTHETIC_FILE if p.is_dir() else p
        rows = tuple(read_jsonl(p))
        bad = [k for k, r in enumerate(rows, 1) if set(r) != set(_FIELDS)]
        if bad:
            raise ArtifactError(f"{p}:{bad[0]}: not a synthetic-interaction row (fields {list(_FIELDS)})")
        return cls(rows)


def minmax(x: np.ndarray) -> np.ndarray:
    """(x − min)/(max − min); all zeros when x is constant or empty."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return x
    span = float(x.max() - x.min())
    return (x - x.min()) / span if span > 0 else np.zeros_like(x)


def selection_scores(s_rel: np.ndarray, s_div: np.ndarray, omega: float) -> np.ndarray:
    """Eq. (4) with both terms min–max normalised over the candidate set (§1.6)."""
    return (1.0 - omega) * minmax(s_rel) + omega * minmax(s_div)


def select_for_user(
    user: int,
    user_vec: np.ndarray,
    leaves: Sequence[int],
    reasons: Mapping[int, str],
    history: Sequence[int],
    leaf_of: Mapping[int, int],
    leaf_items: Mapping[int, Sequence[int]],
    item_vec: Mapping[int, np.ndarray],
    config: SelectConfig,
    group_of: Mapping[int, int] | None = None,
) -> list[dict[str, Any]]:
    """The synthetic rows of one user (at most ``n_aug``, fewer only with fewer candidates).
    ``group_of`` maps a leaf to the unit c_u counts in (default: the leaf itself)."""
    train = set(history)
    key = (lambda v: v) if group_of is None else (lambda v: group_of.get(v, v))
    counts = Counter(key(leaf_of[i]) for i in train if i in leaf_of)
    cand = sorted({i for v in dict.fromkeys(leaves) for i in leaf_items.get(v, ()) if i not in train})
    if not cand:
        return []
    s_rel = unit(np.stack([item_vec[i] for i in cand])) @ unit(user_vec)
    s_div = np.array([1.0 / (1.0 + counts[key(leaf_of[i])]) for i in cand])
    rel_n, div_n = minmax(s_rel), minmax(s_div)
    score = (1.0 - config.omega) * rel_n + config.omega * div_n
    order = sorted(range(len(cand)), key=lambda k: (-score[k], cand[k]))
    rows = []
    for k in order[: config.n_aug]:
        if config.min_score is not None and score[k] < config.min_score:
            break
        i = cand[k]
        rows.append(
            {
                "user": int(user),
                "item": int(i),
                "leaf": int(leaf_of[i]),
                "score": round(float(score[k]), 6),
                "s_rel": round(float(s_rel[k]), 6),
                "s_div": round(float(s_div[k]), 6),
                "s_rel_norm": round(float(rel_n[k]), 6),
                "s_div_norm": round(float(div_n[k]), 6),
                "reason": reasons.get(leaf_of[i], ""),
            }
        )
    return rows


def user_text(user: UserRecord, items: ItemTable, mode: str, cap: int = 10) -> str:
    """A_u: the profile ("profile"), or the profile plus recent titles ("profile+history")."""
    if mode == "profile" and user.profile.strip():
        return user.profile
    pos = items.position()
    titles = [items.titles[pos[i]] for i in user.history[-cap:] if i in pos]
    return "; ".join(t for t in [user.profile.strip(), *titles] if t) or "unknown user"


def select_items(
    user_leaves: Sequence[UserLeaves],
    users: Sequence[UserRecord],
    tree: PreferenceTree,
    items: ItemTable,
    *,
    config: SelectConfig | None = None,
    embedder: Embedder | None = None,
    out_dir: str | Path | None = None,
    user_mode: str = "profile",
    heldout: Mapping[int, set[int]] | None = None,
) -> SyntheticInteractions:
    """Synthetic interactions for every user of ``user_leaves`` (see the module docstring).
    ``heldout`` (user -> validation/test items) only feeds the report's leakage-free overlap share."""
    config = config or SelectConfig()
    by_id = {u.id: u for u in users}
    missing = [c.user for c in user_leaves if c.user not in by_id]
    if missing:
        raise DataError(f"select_items: users {missing[:10]} have chosen leaves but no UserRecord")
    if user_mode not in ("profile", "profile+history"):
        raise DataError(f"select_items: user_mode must be 'profile' or 'profile+history', got {user_mode!r}")
    embed = embedder or shared_embedder()
    leaf_of = {i: tree.leaf_of(i) for i in tree.items}
    leaf_items = {leaf: tree.items_of(leaf) for leaf in tree.leaves()}
    group_of = (
        {leaf: tree.category_of(leaf) for leaf in leaf_items}
        if config.diversity_level == "category"
        else None
    )
    item_vec = dict(zip(items.ids, embed(list(items.texts)), strict=True))
    texts = [user_text(by_id[c.user], items, user_mode) for c in user_leaves]
    user_vecs = embed(texts) if texts else np.zeros((0, 1))
    rows: list[dict[str, Any]] = []
    for c, vec in zip(user_leaves, user_vecs, strict=True):
        rows += select_for_user(
            c.user,
            vec,
            c.leaf_ids,
            c.reasons,
            by_id[c.user].history,
            leaf_of,
            leaf_items,
            item_vec,
            config,
            group_of,
        )
    synthetic = SyntheticInteractions(tuple(rows))
    meta = _summary(synthetic, user_leaves, config, heldout)
    if out_dir is not None:
        d = Path(out_dir)
        d.mkdir(parents=True, exist_ok=True)
        synthetic.save(d / SYNTHETIC_FILE)
        write_manifest(
            d,
            {
                "run_id": new_run_id("select"),
                "step": "select",
                "config": asdict(config),
                "user_mode": user_mode,
                "counts": meta,
                "files": {"synthetic": SYNTHETIC_FILE},
            },
        )
    return SyntheticInteractions(synthetic.rows, meta)


def _summary(
    synthetic: SyntheticInteractions,
    user_leaves: Sequence[UserLeaves],
    config: SelectConfig,
    heldout: Mapping[int, set[int]] | None,
) -> dict[str, Any]:
    per_user = Counter(int(r["user"]) for r in synthetic.rows)
    sizes = [per_user.get(c.user, 0) for c in user_leaves]
    out: dict[str, Any] = {
        "users": len(user_leaves),
        "synthetic": len(synthetic),
        "users_short": sum(1 for n in sizes if n < config.n_aug),
        "per_user_min": min(sizes, default=0),
        "per_user_max": max(sizes, default=0),
    }
    if heldout is not None:
        hits = sum(1 for r in synthetic.rows if r["item"] in heldout.get(int(r["user"]), set()))
        out["heldout_share"] = hits / len(synthetic) if len(synthetic) else 0.0
    return out
