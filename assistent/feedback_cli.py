"""`assistent feedback export`: the chat's 👍/👎 as a gold-file draft (eval/README.md format).

A municipality turns daily use into its own test set: export, review each line (check the
quote and source, write the required ``facts``), then ``assistent eval --gold FIL``.
"""

from __future__ import annotations

from pathlib import Path

import click

from assistent.cli_errors import UserErrorGroup


@click.group(cls=UserErrorGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Omdömen (👍/👎) som getts i chatten."""


@cli.command("export")
@click.option(
    "--out", "-o", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Fil att skriva (JSONL); utan den skrivs raderna till standard ut.",
)  # fmt: skip
@click.option(
    "--betyg", type=click.Choice(["alla", "bra", "daligt"]), default="alla", show_default=True,
    help="Vilka omdömen: alla, bara 👍 (bra) eller bara 👎 (daligt).",
)  # fmt: skip
def export(out: Path | None, betyg: str) -> None:
    """Skriv omdömena som ett utkast till guldfil (en JSON-rad per fråga) att granska och komplettera."""
    import json

    from assistent.conversations import ConversationStore, gold_drafts, write_gold_draft
    from grund.settings import get_settings

    store = ConversationStore.for_settings(get_settings())
    ratings = {"alla": (1, -1), "bra": (1,), "daligt": (-1,)}[betyg]
    lines, skipped = gold_drafts(store.all_feedback(), ratings)
    if out is None:
        for line in lines:
            click.echo(json.dumps(line, ensure_ascii=False))
    else:
        write_gold_draft(out, lines)
        click.echo(f"Skrev {len(lines)} frågor till {out}.", err=True)
    if skipped:
        click.echo(f"Hoppade över {skipped} omdömen på svar utan källa (👎 på ett avstående).", err=True)
    if lines:
        click.echo(
            "Granska varje rad och fyll i 'facts' innan filen används med assistent eval --gold.", err=True
        )
