"""PyTorch recommenders, trainer, optimisers and evaluation. Never imports ``recloom.agents``.

Public API (import from the modules; this package imports nothing heavy itself)::

    from recloom.recmodels.base import Recommender, Batch          # the model contract
    from recloom.recmodels.optim.base import StepRule, PlainStep   # the optimiser step hook
    from recloom.recmodels.registry import get_model               # "mf"/"bpr", "lightgcn", "ngcf", "sasrec"
    from recloom.recmodels.sampling import PairwiseData, NegativeSampler, interaction_matrix
    from recloom.recmodels.sequences import SequenceData, pad_histories
    from recloom.recmodels.trainer import Trainer, TrainConfig, seed_everything
    from recloom.recmodels.callbacks import Callback, LambdaCallback, EpochLog
    from recloom.recmodels.evaluation import EvalData, EvalSpec, evaluate, rank_topk, mask_scores
    from recloom.recmodels.metrics import ranking_metrics          # Recall/NDCG/HR/Precision/MRR/F1 @1..K
    from recloom.recmodels.diversity import category_entropy, category_coverage, intra_list_distance
    from recloom.recmodels.groups import head_tail_groups
    from recloom.recmodels.experiment import run_experiment        # what `recloom train` runs
    from recloom.recmodels.checkpoint import load_model
    from recloom.recmodels.influence import InfluenceTracker, InfluenceConfig   # ToP group influence (callback)
    from recloom.recmodels.rerank import RerankConfig, rerank_topk, dpp_greedy, mmr  # MMR / DPP re-ranking

Typical use::

    data = PairwiseData(train_user, train_item, n_users, n_items)
    model = get_model("lightgcn", n_users, n_items, interactions=data.matrix, n_layers=2)
    valid = EvalData.for_users(valid_matrix, exclude=data.matrix)
    result = Trainer(model, data, TrainConfig(epochs=100), valid=valid).fit()
"""
