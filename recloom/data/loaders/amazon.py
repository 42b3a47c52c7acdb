"""Amazon Reviews 2018 "Industrial and Scientific" 5-core in UniSRec/RecBole atomic files
(Ni, Li & McAuley, EMNLP 2019; processed as in UniSRec). Implicit feedback, no timestamps: each
user's full sequence is rebuilt from the leave-one-out files and its order becomes the timestamp.

Item text is ``"{title}. {category words}. {brand}. "``. The category words are one string (the
Amazon path with its level separators lost), so ``category_paths`` is ``[root, rest]`` where the
root "Industrial & Scientific" is the only level that can be split off reliably, and
``categories`` holds the rest as one label (the leaf path); items without a path get ``[]``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recloom.data.containers import IdMap, Interactions, ItemCatalog
from recloom.data.dataset import Dataset
from recloom.data.loaders.reader import read_table
from recloom.data.paths import dataset_dir
from recloom.errors import DataError

FOLDER = "amazon-industrial-scientific"
PREFIX = "Scientific"
ROOT_CATEGORY = "Industrial & Scientific"


def split_text(text: str) -> tuple[str, str, str]:
    """(title, category words without the root, brand) of one UniSRec item text."""
    body = text.rstrip()
    body = body[:-1] if body.endswith(".") else body
    marker = f". {ROOT_CATEGORY}"
    k = body.rfind(marker)
    if k >= 0:
        rest = body[k + len(marker):]
        cat, _, brand = rest.partition(". ")
        return body[:k], cat.strip(), brand.strip()
    title, sep, brand = body.rpartition(". . ")
    if sep:
        return title, "", brand.strip()
    title, _, brand = body.rpartition(". ")
    return (title, "", brand.strip()) if title else (body, "", "")


def _index_file(path: Path) -> IdMap:
    t = read_table(path, "\t", 2)
    idx = t.ints(1, "index")
    if not np.array_equal(np.sort(idx), np.arange(len(idx))):
        raise DataError("indices are not 0..n-1", path=path)
    raw = np.empty(len(idx), dtype=object)
    raw[idx] = t.columns[0]
    return IdMap(raw.tolist())


def _rows(path: Path, n_users: int) -> dict[int, list[tuple[int, list[int], int]]]:
    """Per user: (line, history, target) in file order."""
    t = read_table(path, "\t", 3, header=True)
    users, targets = t.ints(0, "user_id"), t.ints(2, "item_id")
    out: dict[int, list[tuple[int, list[int], int]]] = {}
    for k in range(len(t)):
        line = int(t.linenos[k])
        try:
            hist = [int(x) for x in t.columns[1][k].split()]
        except ValueError:
            raise DataError("item_id_list holds a non-integer", path=path, line=line) from None
        if not 0 <= users[k] < n_users:
            raise DataError(f"user index {users[k]} not in user2index", path=path, line=line)
        out.setdefault(int(users[k]), []).append((line, hist, int(targets[k])))
    return out


def _sequence(user: int, train: list[tuple[int, list[int], int]], valid: tuple[int, list[int], int],
              test: tuple[int, list[int], int], paths: tuple[Path, Path]) -> list[int]:
    """README recipe: shortest train prefix + its target, later train targets, valid, test."""
    rows = train[::-1]
    seq = (rows[0][1] + [rows[0][2]] + [r[2] for r in rows[1:]]) if rows else list(valid[1])
    seq += [valid[2]]
    for (line, hist, _), path, n_before in ((valid, paths[0], 1), (test, paths[1], 0)):
        prefix = seq[: len(seq) - n_before] if n_before else seq
        if hist != prefix[len(prefix) - len(hist):] or len(hist) > len(prefix):
            raise DataError(f"user {user}: history does not match the rebuilt sequence", path=path, line=line)
    return seq + [test[2]]


def load_amazon_scientific(data: str | Path | None = None) -> Dataset:
    """8,442 users, 4,385 items, 59,427 implicit interactions in per-user order."""
    folder = dataset_dir(FOLDER, data)
    p = {k: folder / f"{PREFIX}.{k}" for k in ("user2index", "item2index", "text",
                                                 "train.inter", "valid.inter", "test.inter")}
    user_ids, item_ids = _index_file(p["user2index"]), _index_file(p["item2index"])
    train = _rows(p["train.inter"], len(user_ids))
    valid, test = _rows(p["valid.inter"], len(user_ids)), _rows(p["test.inter"], len(user_ids))
    users_list, items_list = [], []
    for u in range(len(user_ids)):
        if len(valid.get(u, [])) != 1 or len(test.get(u, [])) != 1:
            raise DataError(f"user {u} needs exactly one valid and one test row", path=p["valid.inter"])
        seq = _sequence(u, train.get(u, []), valid[u][0], test[u][0], (p["valid.inter"], p["test.inter"]))
        users_list.append(np.full(len(seq), u, dtype=np.int64))
        items_list.append(np.asarray(seq, dtype=np.int64))
    user = np.concatenate(users_list)
    item = np.concatenate(items_list)
    order = np.concatenate([np.arange(len(s)) for s in items_list])
    inter = Interactions(user, item, order)
    return Dataset(
        name="amazon-scientific",
        interactions=inter,
        user_ids=user_ids,
        item_ids=item_ids,
        items=_catalog(p["text"], item_ids),
        meta={"has_time": False, "implicit": True, "source": str(folder)},
    )


def _catalog(path: Path, item_ids: IdMap) -> ItemCatalog:
    t = read_table(path, "\t", 2, header=True)
    texts = dict(zip(t.columns[0], t.columns[1], strict=True))
    missing = [a for a in item_ids.raw if a not in texts]
    if missing:
        raise DataError(f"{len(missing)} items have no text, e.g. {missing[0]!r}", path=path)
    parts = [split_text(texts[a]) for a in item_ids.raw]
    return ItemCatalog(
        raw_ids=list(item_ids.raw),
        titles=[title for title, _, _ in parts],
        texts=[texts[a].strip() for a in item_ids.raw],
        categories=[[cat] if cat else [] for _, cat, _ in parts],
        category_paths=[[ROOT_CATEGORY, cat] if cat else [] for _, cat, _ in parts],
        brands=[brand or None for _, _, brand in parts],
    )
