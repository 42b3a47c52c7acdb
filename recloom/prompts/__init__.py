"""Prompt templates (files under ``templates/``) and the task registry that pairs each template with
its input model, output model and semantic validator. No torch, no backend code here."""
