"""The one place where errors meant for users become a clean line: shared by every command group
(`assistent`, `assistent eval`), so eval/ need not import the CLI that imports it."""

from __future__ import annotations

import click

from assistent.errors import AssistentError


class UserErrorGroup(click.Group):
    """Turns AssistentError into one line on stderr and exit code 1 (every command group uses it)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AssistentError as exc:
            click.echo(f"Fel: {exc}", err=True)
            ctx.exit(1)
