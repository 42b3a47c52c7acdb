"""LARMI agent side (seed 001; methods.md §2.2 stages A and B7, §2.5): the ``larmi.cluster`` task
(prompt files under ``recloom/prompts/templates/larmi/cluster/``, output model, validator with the
§2.5 repairs, local agglomerative solver) and the step that runs it over many users. No torch here:
cliques and max-coverage live in ``recloom.graph``, the model in ``recloom.recmodels.larmi``, the
orchestration in ``recloom.pipelines.larmi``.

Public API::

    from recloom.agents.runtime import Runner, RuntimeConfig
    from recloom.agents.larmi import (CLUSTER, ClusterInput, ClusterOutput, check_clusters,  # the task
                                      individual_request, synthetic_request, ClusterRequest,  # inputs
                                      cluster, acluster, read_clusters, UserClusters,         # the step
                                      context_id, violations)

    runner = Runner(RuntimeConfig(backend="local", cache_dir=".cache/recloom", local_context_id=context_id(),
                                  backend_options={"context": {"embedding_cache_dir": ".cache/emb"}}))
    requests = [individual_request(str(u), seq, catalog.titles) for u, seq in enumerate(train_seqs)]
    run = cluster(runner, requests, out_dir="runs/x/cluster")
    run.users[0].item_clusters()     # [[item id, ...], ...]; .repairs, .source ("llm"/"local"/"fallback")
"""

from recloom.agents.larmi.cluster import ClusterRun, UserClusters, acluster, cluster, read_clusters, summary
from recloom.agents.larmi.inputs import ClusterRequest, individual_request, prompt_title, synthetic_request
from recloom.agents.larmi.local import TitleEmbedder, agglomerative_clusters, context_id
from recloom.agents.larmi.repair import match_title, violations
from recloom.agents.larmi.task import MAX_TITLES, Cluster, ClusterInput, ClusterOutput, check_clusters
from recloom.agents.larmi.tasks import CLUSTER

__all__ = [
    "CLUSTER",
    "MAX_TITLES",
    "Cluster",
    "ClusterInput",
    "ClusterOutput",
    "ClusterRequest",
    "ClusterRun",
    "TitleEmbedder",
    "UserClusters",
    "acluster",
    "agglomerative_clusters",
    "check_clusters",
    "cluster",
    "context_id",
    "individual_request",
    "match_title",
    "prompt_title",
    "read_clusters",
    "summary",
    "synthetic_request",
    "violations",
]
