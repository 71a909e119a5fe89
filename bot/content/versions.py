"""Content versions and the stored content hashes behind PDSA change marks (issue 10).

Every teach-back module, option grid and the check-in texts carry a `version`.
`data/content/versions.lock` records, for each item and each version released, the SHA-256
of its normalised content and of each chunk (a module's chunks, a grid's options and
questions, each check-in message). `coach content check` fails when an item's content
differs from the lock's latest version but its version did not go up; `coach content lock`
records the current content once the version has been raised. The portal reads the per-chunk
hashes to mark, on a chunk's run chart, the version at which its wording changed.

Normalised content is the parsed YAML without its `version`, with every string's runs of
white space made one space, so re-flowing a paragraph or editing a comment is no change.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.content.system import CONTENT_DIR

LOCK_FILE = CONTENT_DIR / "versions.lock"
LOCK_FORMAT = "co-create-coach/content-versions/1"
CHECKINS_KEY = "checkins/checkins"


@dataclass(frozen=True)
class Snapshot:
    """One item's content at one version: the whole item's hash and each chunk's."""

    version: int
    sha256: str
    chunks: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Item:
    """A versioned piece of content, keyed "module/<id>", "grid/<id>" or "checkins/checkins"."""

    key: str
    source: str
    snapshot: Snapshot


def _normalise(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, Mapping):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def digest(value: Any) -> str:
    """SHA-256 of a value's normalised, canonical JSON form."""
    canonical = json.dumps(
        _normalise(value), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _read(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise ValueError(f"{path.name}: not a mapping")
    return data


def _version(data: Mapping[str, Any], source: str) -> int:
    raw = data.get("version")
    try:
        return int(str(raw))
    except ValueError:
        raise ValueError(f"{source}: version must be a whole number, not {raw!r}") from None


def _by_id(entries: Any, prefix: str) -> dict[str, str]:
    chunks: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, Mapping) and isinstance(entry.get("id"), str):
            chunks[f"{prefix}{entry['id']}"] = digest(entry)
    return chunks


def _item(kind: str, path: Path, data: dict[str, Any]) -> Item:
    body = {k: v for k, v in data.items() if k != "version"}
    if kind == "module":
        chunks = _by_id(data.get("chunks"), "")
    elif kind == "grid":
        chunks = {**_by_id(data.get("options"), "option:"), **_by_id(data.get("questions"), "")}
    else:
        chunks = {key: digest(value) for key, value in body.items()}
    item_id = str(data.get("id") or path.stem) if kind != "checkins" else "checkins"
    return Item(
        key=f"{kind}/{item_id}",
        source=path.name,
        snapshot=Snapshot(_version(data, path.name), digest(body), chunks),
    )


def current_items(content_dir: Path | None = None) -> dict[str, Item]:
    """Every versioned item in the content folder, as it is now."""
    content_dir = content_dir or CONTENT_DIR
    items: dict[str, Item] = {}
    sources = [
        *(("module", p) for p in sorted((content_dir / "teachback").glob("*.yml"))),
        *(("grid", p) for p in sorted((content_dir / "option_grids").glob("*.yml"))),
        ("checkins", content_dir / "checkins.yml"),
    ]
    for kind, path in sources:
        if path.exists():
            item = _item(kind, path, _read(path))
            items[item.key] = item
    return items


Lock = dict[str, dict[int, Snapshot]]


def read_lock(path: Path | None = None) -> Lock:
    """Each item's released versions, from the lock file (empty when there is none)."""
    path = path or LOCK_FILE
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    lock: Lock = {}
    for key, versions in data.get("items", {}).items():
        lock[key] = {
            int(v): Snapshot(int(v), entry["sha256"], dict(entry.get("chunks", {})))
            for v, entry in versions.items()
        }
    return lock


def write_lock(lock: Lock, path: Path | None = None) -> None:
    """Write the lock as stable, reviewable JSON (sorted keys, one level per line)."""
    path = path or LOCK_FILE
    data = {
        "format": LOCK_FORMAT,
        "note": "Written by `coach content lock`; do not edit by hand.",
        "items": {
            key: {
                str(v): {"sha256": s.sha256, "chunks": dict(sorted(s.chunks.items()))}
                for v, s in sorted(versions.items())
            }
            for key, versions in sorted(lock.items())
        },
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def version_problems(current: Mapping[str, Item], lock: Lock) -> list[str]:
    """Items whose content changed without a version bump, or whose version went down."""
    problems: list[str] = []
    for key, item in sorted(current.items()):
        released = lock.get(key)
        if not released:
            continue
        latest = max(released)
        now = item.snapshot
        if now.version < latest:
            problems.append(
                f"{item.source}: version {now.version} is lower than the released {latest}"
            )
        elif now.version == latest and now.sha256 != released[latest].sha256:
            changed = changed_chunks(released[latest], now)
            where = f" ({', '.join(changed)})" if changed else ""
            problems.append(
                f"{item.source}: content changed{where} but its version is still "
                f"{now.version}; raise it to {latest + 1}, then run `coach content lock`"
            )
    return problems


def unlocked(current: Mapping[str, Item], lock: Lock) -> list[str]:
    """Items whose current version is not recorded in the lock yet."""
    return sorted(
        item.source
        for key, item in current.items()
        if item.snapshot.version not in lock.get(key, {})
    )


def changed_chunks(before: Snapshot, after: Snapshot) -> list[str]:
    """Chunk ids new or reworded between two snapshots, in the later one's order."""
    return [cid for cid, sha in after.chunks.items() if before.chunks.get(cid) != sha]


def update_lock(current: Mapping[str, Item], lock: Lock) -> Lock:
    """The lock with every item's current version recorded (older versions kept)."""
    updated: Lock = {key: dict(versions) for key, versions in lock.items()}
    for key, item in current.items():
        updated.setdefault(key, {})[item.snapshot.version] = item.snapshot
    return updated


def change_points(key: str, lock: Lock | None = None) -> list[tuple[int, list[str]]]:
    """(version, chunks changed from the version before) for each later version of an item."""
    versions = (read_lock() if lock is None else lock).get(key, {})
    ordered = sorted(versions)
    return [
        (later, changed_chunks(versions[earlier], versions[later]))
        for earlier, later in itertools.pairwise(ordered)
    ]


def check(content_dir: Path | None = None, lock_path: Path | None = None) -> list[str]:
    """Version problems of the content folder against its lock (`coach content check`).

    An item the lock has never seen is a problem too, so every item is compared next time.
    """
    content_dir, lock_path = content_dir or CONTENT_DIR, lock_path or LOCK_FILE
    try:
        current = current_items(content_dir)
    except ValueError as exc:
        return [str(exc)]
    released = read_lock(lock_path)
    new = [
        f"{item.source}: not in {lock_path.name} yet; run `coach content lock`"
        for key, item in sorted(current.items())
        if key not in released
    ]
    return version_problems(current, released) + new


def lock(content_dir: Path | None = None, lock_path: Path | None = None) -> tuple[int, list[str]]:
    """`coach content lock`: record the current versions; refused while a bump is missing.

    Returns (exit code, messages).
    """
    content_dir, lock_path = content_dir or CONTENT_DIR, lock_path or LOCK_FILE
    try:
        current = current_items(content_dir)
    except ValueError as exc:
        return 1, [str(exc)]
    existing = read_lock(lock_path)
    problems = version_problems(current, existing)
    if problems:
        return 1, problems
    new = unlocked(current, existing)
    write_lock(update_lock(current, existing), lock_path)
    return 0, [f"locked: {source}" for source in new]
