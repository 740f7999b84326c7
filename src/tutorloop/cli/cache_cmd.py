"""``tutorloop cache stats|clear``: the response cache and the runs' ledgers in ``calls.db``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tutorloop.cli.common import JsonOpt, StoreOpt, print_json
from tutorloop.errors import ConfigError
from tutorloop.generate import CallLedger, CallPolicy
from tutorloop.store import default_store_path

KINDS = {
    "cache": "answers any run may reuse (--cache-scope global)",
    "judge": "judge verdicts",
    "run": "each run's own answers (resuming it repeats no call)",
}
"""The kinds of entry, by key prefix, and what they are."""

CachePath = Annotated[
    Path | None,
    typer.Option("--cache-path", help="The calls.db file (default: beside the store)."),
]
Ttl = Annotated[
    float | None,
    typer.Option("--ttl", help="Expiry in seconds (default: the call policy's, 30 days)."),
]


def ledger_path(store: Path | None, cache_path: Path | None) -> Path:
    """``cache_path``, else ``calls.db`` beside the store."""
    return cache_path or (store or default_store_path()).parent / "calls.db"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "none"
    if seconds >= 86400:
        return f"{seconds / 86400:g} days"
    return f"{seconds:g} s"


def register(app: typer.Typer, console: Console, err: Console) -> None:
    """Add ``cache stats`` and ``cache clear`` to ``app``."""
    group = typer.Typer(name="cache", help="The response cache.", no_args_is_help=True)

    @group.callback()
    def _group() -> None:
        """The response cache and the call ledgers: what they hold, and emptying them."""

    @group.command("stats")
    def stats(
        store: StoreOpt = None,
        cache_path: CachePath = None,
        ttl: Ttl = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Entries, expired entries, size and dates of each kind of stored answer."""
        path = ledger_path(store, cache_path)
        max_age = ttl if ttl is not None else CallPolicy().cache_ttl_s
        rows = {}
        if path.exists():
            ledger = CallLedger(path)
            try:
                rows = {kind: ledger.stats(f"{kind}:", max_age) for kind in KINDS}
            finally:
                ledger.close()
        data = {
            "path": str(path),
            "ttl_s": max_age,
            "kinds": {
                kind: {
                    "entries": s.entries,
                    "expired": s.expired,
                    "bytes": s.bytes,
                    "oldest": s.oldest,
                    "newest": s.newest,
                }
                for kind, s in rows.items()
            },
        }
        if as_json:
            print_json(data)
            return
        if not rows:
            console.print(f"no cache yet: {path}")
            return
        console.print(f"[bold]{path}[/] (expiry {_duration(max_age)})")
        for kind, s in rows.items():
            dates = f", {s.oldest[:10]} to {s.newest[:10]}" if s.oldest and s.newest else ""
            console.print(
                f"{kind:5} {s.entries} entries, {s.expired} expired, {s.bytes / 1e6:.2f} MB{dates}",
                highlight=False,
            )

    @group.command("clear")
    def clear(
        store: StoreOpt = None,
        cache_path: CachePath = None,
        expired: Annotated[
            bool, typer.Option("--expired", help="Only entries past the expiry.")
        ] = False,
        ttl: Ttl = None,
        kinds: Annotated[
            str,
            typer.Option("--kind", help=f"Comma-separated: {', '.join(KINDS)} (or all)."),
        ] = "cache,judge",
        as_json: JsonOpt = False,
    ) -> None:
        """Delete stored answers: the shared cache and judge verdicts unless --kind says more."""
        chosen = list(KINDS) if kinds.strip() == "all" else [k.strip() for k in kinds.split(",")]
        unknown = [k for k in chosen if k not in KINDS]
        if unknown:
            raise ConfigError(
                f"unknown kind {', '.join(unknown)}; choose from {', '.join(KINDS)} or all",
                field="--kind",
            )
        path = ledger_path(store, cache_path)
        older_than = (ttl if ttl is not None else CallPolicy().cache_ttl_s) if expired else None
        deleted = dict.fromkeys(chosen, 0)
        if path.exists():
            ledger = CallLedger(path)
            try:
                deleted = {kind: ledger.clear(f"{kind}:", older_than) for kind in chosen}
            finally:
                ledger.close()
        if as_json:
            print_json({"path": str(path), "deleted": deleted})
            return
        told = ", ".join(f"{n} {kind}" for kind, n in deleted.items())
        console.print(f"deleted {told} from {path}", highlight=False)

    app.add_typer(group)
