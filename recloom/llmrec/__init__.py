"""LLM-based recommenders over local Hugging Face causal LMs (torch, transformers, peft: the ``llm``
extra). BIGRec-style generate-then-ground with LoRA, trained through recloom's Trainer so every
step rule (SAM, EISAM, GroupSAM, RW) applies.

Public API::

    from recloom.llmrec.bigrec import BIGRec, BIGRecConfig          # the Recommender
    from recloom.llmrec.hf import load_causal_lm, add_lora, LoraSettings
    from recloom.llmrec.data import RecordData, prompt_inputs        # token batches
    from recloom.llmrec.alpaca import records, prompt, format_warmup_records
    from recloom.llmrec.grounding import HiddenStateEncoder, last_token_states
    from recloom.llmrec.warmup import format_warmup, WarmupConfig      # the probe's format warm-up
    from recloom.pipelines.eisam_llm import bigrec_experiment        # train + evaluate on the protocol

Submodules are imported on use (this package imports nothing heavy itself).
"""
