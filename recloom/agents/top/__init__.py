"""ToP-Rec agent steps — the LLM side of "Tree of Preferences for Diversified Recommendation"
(NeurIPS 2025, seed 000; methods.md §1): sampling, tree construction, item matching, refinement,
preference reasoning, and the (numpy) selection of synthetic interactions. No torch here: the
augmentation rounds, influence and training live in ``recloom.pipelines`` / ``recloom.recmodels``.

Every LLM step takes a ``recloom.agents.runtime.Runner`` (any backend — local, openai, vllm-server,
vllm, langchain — through the same code path, with the runner's cache and replay), writes its
artifacts into ``out_dir`` when given (``manifest.json`` + files + ``calls/<batch>/`` with the
runtime's raw outputs and failures), and has an ``async`` twin (``abuild_tree``, ``amatch_items``,
``arefine_tree``, ``areason_users``) to run several steps in one event loop. The sync functions
close the backend their runner built when they return, as ``Runner.run`` does. On the ``local``
backend each task runs its deterministic solver — a labelled non-LLM baseline.

Public API::

    from recloom.agents.runtime import Runner, RuntimeConfig
    from recloom.agents.top import (ItemTable, UserRecord, users_from_profiles, build_tree, match_items,
        refine_tree, reason_users, select_items, SyntheticInteractions)

    items = ItemTable.from_catalog(ds.items)                 # ids, titles, texts, primary category
    runner = Runner(RuntimeConfig(backend="local", cache_dir=".cache/recloom",
                    backend_options={"context": {"embedding_cache_dir": ".cache/emb"}}))
    build = build_tree(runner, items, out_dir=run / "build")           # BuildResult
    tree = build.tree                                                 # recloom.graph PreferenceTree
    m = match_items(runner, tree, items, scopes=build.item_roots, out_dir=run / "match")
    #   m.assignment {item: leaf}, m.source {item: llm|local|fallback|single-leaf},
    #   m.failures (raw answers + reasons), m.fallback_rate
    r = refine_tree(runner, tree, items, out_dir=run / "refine")        # r.operations (logged), tree mutated
    users = users_from_profiles(ds.users, train_histories, user_ids)  # profile text + training items
    reasoned = reason_users(runner, tree, users, items, out_dir=run / "reason")
    #   reasoned.users: [UserLeaves(user, leaves=[{leaf_id, name, path, observed, in_history, reason}],
    #                               repairs, source)]
    synthetic = select_items(reasoned.users, users, tree, items, out_dir=run / "select")
    synthetic.pairs()   # int64[n, 2] (user, item); synthetic.rows carry leaf, score, s_rel, s_div, reason

Configs (frozen dataclasses, ``recloom.agents.top.config``): ``BuildConfig`` (with ``SampleConfig``),
``MatchConfig``, ``RefineConfig``, ``ReasonConfig``, ``SelectConfig``. Readers: ``load_build``,
``read_user_leaves``, ``SyntheticInteractions.load``, ``recloom.graph.tree_io.load`` for ``tree.json``.
Tasks (registered on import): ``top.construct``, ``top.match``, ``top.merge``, ``top.split``,
``top.reason``; templates in ``recloom/prompts/templates/top/``.
"""

from recloom.agents.top.build import BuildResult, GroupRecord, abuild_tree, build_tree, load_build
from recloom.agents.top.config import (
    BuildConfig,
    MatchConfig,
    ReasonConfig,
    RefineConfig,
    SampleConfig,
    SelectConfig,
)
from recloom.agents.top.items import ItemTable, UserRecord, profile_text, users_from_profiles
from recloom.agents.top.match import MatchResult, amatch_items, match_items
from recloom.agents.top.reason import (
    ReasonResult,
    UserLeaves,
    areason_users,
    read_user_leaves,
    reason_users,
    tree_outline,
)
from recloom.agents.top.refine import RefineResult, arefine_tree, refine_tree
from recloom.agents.top.selection import SyntheticInteractions, select_items, selection_scores
from recloom.agents.top.tasks import CONSTRUCT, MATCH, MERGE, REASON, SPLIT

__all__ = [
    "CONSTRUCT",
    "MATCH",
    "MERGE",
    "REASON",
    "SPLIT",
    "BuildConfig",
    "BuildResult",
    "GroupRecord",
    "ItemTable",
    "MatchConfig",
    "MatchResult",
    "ReasonConfig",
    "ReasonResult",
    "RefineConfig",
    "RefineResult",
    "SampleConfig",
    "SelectConfig",
    "SyntheticInteractions",
    "UserLeaves",
    "UserRecord",
    "abuild_tree",
    "amatch_items",
    "areason_users",
    "arefine_tree",
    "build_tree",
    "load_build",
    "match_items",
    "profile_text",
    "read_user_leaves",
    "reason_users",
    "refine_tree",
    "select_items",
    "selection_scores",
    "tree_outline",
    "users_from_profiles",
]
