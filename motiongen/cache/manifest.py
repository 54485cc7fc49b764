"""The take list and corpus facts of a cache's ``manifest.json``, shared by the speech corpora's builders."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping

from motiongen.cache.info import corpus_record
from motiongen.cache.store import read_entry
from motiongen.core.errors import MotiongenError


def cached_take_facts(cache_dir: Path, splits: Iterable[tuple[str, str]], digest: str,
                      failed: Mapping[str, str]) -> tuple[dict[str, dict], dict[str, int]]:
    """The manifest entry of every take cached under the current settings, and their block widths.

    Args:
        splits: ``(take_id, split)`` of the selected takes, in manifest order.
        digest: the settings hash the entries must carry; others are stale and left out.
        failed: take ids that failed in this build (their old entries are left out too).

    Returns:
        ``(takes, dims)``: ``takes[take_id]`` holds split, categories, frames, warnings, sources and the
        speech file (None for a corpus without speech); ``dims`` maps every stored array name to its width.

    Raises:
        MotiongenError: when two takes disagree on the block widths, or no take is cached.
    """
    takes: dict[str, dict] = {}
    dims: dict[str, int] | None = None
    for take_id, split in splits:
        entry = read_entry(cache_dir, take_id)
        if entry is None or entry.get("settings_hash") != digest or take_id in failed:
            continue
        if dims is None:
            dims = entry["dims"]
        elif entry["dims"] != dims:
            raise MotiongenError(f"take {take_id} has block widths {entry['dims']}, others {dims}")
        takes[take_id] = {
            "split": split,
            "categories": dict(entry["categories"]),
            "num_frames": entry["num_frames"],
            "warnings": entry["warnings"],
            "sources": entry["sources"],
            "speech": entry.get("speech"),
        }
    if not takes:
        raise MotiongenError("no take could be cached; see the skipped/failed lists")
    return takes, dims


def corpus_manifest(cfg, settings: dict[str, Any], digest: str, words, takes: dict[str, dict]) -> dict[str, Any]:
    """The whole ``manifest.json`` of a cache (``cfg.data``: ``_target_``, name, root, words.dim;
    ``words``: the prepared word table's source and the takes it was trained on, or None)."""
    manifest = {
        "settings": settings,
        "settings_hash": digest,
        "corpus": {**corpus_record(cfg.data), "target": str(cfg.data._target_)},
        "takes": takes,
    }
    if words is not None:
        manifest["words"] = {"source": words.source, "dim": int(cfg.data.words.dim), "table": "words/table.npz",
                             "trained_on": words.trained_on}
    return manifest
