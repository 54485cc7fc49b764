"""One-line explanations of Hydra composition failures, naming the bad key or option and what exists.

Hydra reports a mistyped override (``nonexistent_key=1``), an unknown group option
(``experiment=no_such_experiment``) or an unparsable override (``foo``) with a multi-line exception.
:func:`composition_error_message` turns such an exception into one line that names the override and
lists the alternatives: the options of the config group (the ``*.yaml`` files of its folder) or the
closest keys of the config (:func:`difflib.get_close_matches` over its dotted keys). It reads the
exception's attributes only, so this bottom layer does not import Hydra; the composing functions
(``motiongen.config.compose``, ``render.config.compose``) catch Hydra's exceptions and raise their
own error type with this message.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

#: How Hydra names the key of an override it could not apply: ``Could not override 'a.b'.`` or
#: ``Could not delete from config. 'a.b' does not exist.``
_UNKNOWN_KEY = re.compile(r"^Could not (?:override '([^']+)'|delete from config\. '([^']+)' does not exist)")


def group_options(conf_dir: str | Path, group: str) -> list[str]:
    """Option names of config group ``group`` (``"experiment"``, ``"data/features"``): the stems of the
    ``*.yaml`` files in ``conf_dir/group``, sorted; empty when the folder does not exist."""
    folder = Path(conf_dir) / group
    return sorted(path.stem for path in folder.glob("*.yaml")) if folder.is_dir() else []


def config_groups(conf_dir: str | Path) -> list[str]:
    """Names of the config groups under ``conf_dir`` (folders holding ``*.yaml``, nested as ``a/b``)."""
    root = Path(conf_dir)
    groups = {path.parent.relative_to(root).as_posix() for path in root.rglob("*.yaml") if path.parent != root}
    return sorted(groups)


def dotted_keys(tree: Mapping, prefix: str = "") -> list[str]:
    """Every key of a nested mapping as a dotted path, parents before their children (lists are leaves)."""
    keys = []
    for key, value in tree.items():
        path = f"{prefix}{key}"
        keys.append(path)
        if isinstance(value, Mapping):
            keys.extend(dotted_keys(value, f"{path}."))
    return keys


def closest_keys(key: str, tree: Mapping, limit: int = 5) -> list[str]:
    """Keys of ``tree`` (dotted paths) most like the dotted ``key``: very close whole paths under another
    parent (``sing.steps`` -> ``sign.steps``), the keys beside where ``key`` would be whose names are close to
    its last part, then keys anywhere whose last part is very close to it (``data.cache_dir`` -> ``cache_dir``)."""
    last = key.rsplit(".", 1)[-1]
    parent, siblings = sibling_keys(key, tree)
    prefix = f"{parent}." if parent else ""
    keys = dotted_keys(tree)
    elsewhere = [path for path in keys if not (path.startswith(prefix) and "." not in path[len(prefix):])]
    found = difflib.get_close_matches(key, elsewhere, n=limit, cutoff=0.8)
    found += [prefix + name for name in difflib.get_close_matches(last, [str(k) for k in siblings], n=limit, cutoff=0.6)
              if prefix + name not in found]
    by_last: dict[str, list[str]] = {}
    for path in keys:
        by_last.setdefault(path.rsplit(".", 1)[-1], []).append(path)
    for name in difflib.get_close_matches(last, list(by_last), n=limit, cutoff=0.75):
        found.extend(path for path in by_last[name] if path not in found)
    return found[:limit]


def sibling_keys(key: str, tree: Mapping) -> tuple[str, list[str]]:
    """The deepest existing parent of dotted ``key`` in ``tree`` (``""`` for the top level) and its keys."""
    node, parent = tree, []
    for part in key.split(".")[:-1]:
        child = node.get(part) if isinstance(node, Mapping) else None
        if not isinstance(child, Mapping):
            break
        node, parent = child, [*parent, part]
    return ".".join(parent), list(node)


def _override_named(key: str, overrides: Sequence[str]) -> str:
    """The override of ``overrides`` that sets ``key`` (as the user typed it), else ``key``."""
    for override in overrides:
        if override.split("=", 1)[0].lstrip("+~") == key:
            return override
    return key


def _missing_option(err: Exception, conf_dir: Path, config_file: str, overrides: Sequence[str]) -> str:
    missing = str(getattr(err, "missing_cfg_file", "") or "")
    group, _, option = missing.rpartition("/")
    if not group:
        return f"{config_file}: config {missing!r} not found in {conf_dir}"
    options = group_options(conf_dir, group) or sorted(getattr(err, "options", None) or [])
    if options:
        choices = f"available {group} options ({conf_dir / group}): {', '.join(options)}"
    else:
        choices = f"there is no config group {group!r}; groups: {', '.join(config_groups(conf_dir))}"
    return f"{_override_named(group, overrides)}: no {group} config named {option!r}; {choices}"


def _unknown_key(key: str, conf_dir: Path, config_file: str, overrides: Sequence[str],
                 compose_plain: Callable[[list[str]], Mapping | None]) -> str:
    override = _override_named(key, overrides)
    others = [item for item in overrides if item != override]
    # The config as the other overrides make it; if one of them is wrong too, the plain config.
    tree = compose_plain(others)
    if tree is None and others:
        tree = compose_plain([])
    message = f"{override}: {config_file} has no setting {key!r}"
    if tree is None:
        return message
    close = closest_keys(key, tree)
    if close:
        return f"{message}; closest settings: {', '.join(close)}"
    parent, siblings = sibling_keys(key, tree)
    where = f"under {parent!r}" if parent else "at the top level"
    groups = [group for group in config_groups(conf_dir) if "/" not in group]
    listing = f"settings {where}: {', '.join(siblings)}"
    if not parent and groups:
        listing += f"; config groups: {', '.join(groups)}"
    hint = "" if override.startswith("~") else f" (add a new setting with +{key}=...)"
    return f"{message}; {listing}{hint}"


def composition_error_message(err: Exception, conf_dir: str | Path, config_name: str, overrides: Sequence[str],
                              compose_plain: Callable[[list[str]], Mapping | None]) -> str:
    """One line explaining why Hydra could not compose ``config_name`` from ``overrides``.

    Args:
        err: the Hydra exception (``MissingConfigException``, ``ConfigCompositionException``,
            ``OverrideParseException``); read through its attributes and message only.
        conf_dir: the config folder that was composed from (its group folders list the options).
        config_name: the primary config (``"config"``, ``"evaluate"``, ...).
        overrides: the overrides as given.
        compose_plain: composes ``config_name`` from a list of overrides and returns it as plain nested
            dicts (unresolved), or None when Hydra cannot compose it either; used to find the keys
            closest to a misspelt one.
    """
    conf_dir = Path(conf_dir)
    config_file = f"{config_name}.yaml"
    if hasattr(err, "missing_cfg_file"):
        return _missing_option(err, conf_dir, config_file, overrides)
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    if hasattr(err, "override"):  # OverrideParseException: not key=value
        detail = lines[1] if len(lines) > 1 else "not key=value"
        return f"cannot read override {err.override!r} ({detail}); overrides are key=value, e.g. seed=1"
    match = _UNKNOWN_KEY.match(str(err))
    if match:
        return _unknown_key(match.group(1) or match.group(2), conf_dir, config_file, overrides, compose_plain)
    return f"{config_file}: " + " ".join(lines[:2] if lines else [type(err).__name__])
