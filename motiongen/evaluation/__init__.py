"""Evaluation: the published gesture and face metrics, learned feature extractors and a lip-sync
scorer, and ``motiongen evaluate``. Sits above generation (may import generation, model, cache;
nothing below imports it)."""
