"""The command groups' shared behaviour: errors meant for users become a clean line, click speaks
Swedish, and heavy subcommands are imported only when run. Shared by every command group
(`assistent`, `assistent eval`), so eval/ need not import the CLI that imports it."""

from __future__ import annotations

import importlib
from typing import Any

import click

from assistent import cli_sv
from grund.errors import AssistentError


class SvCommand(click.Command):
    """A command whose usage line reads "[FLAGGOR]" rather than "[OPTIONS]"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", cli_sv.OPTIONS_METAVAR)
        super().__init__(*args, **kwargs)


class UserErrorGroup(click.Group):
    """Turns AssistentError into one line on stderr and exit code 1 (every command group uses it),
    prints click's own texts in Swedish, and loads ``lazy`` subcommands on first use.

    Args:
        lazy: name → ("module:attribute", one-line help); the module is imported only when the
            subcommand runs (or its own help is asked for), so ``--help`` and ``status`` stay fast.
    """

    command_class = SvCommand
    group_class = type  # subgroups are UserErrorGroups too

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", cli_sv.OPTIONS_METAVAR)
        kwargs.setdefault("subcommand_metavar", cli_sv.SUBCOMMAND_METAVAR)
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, tuple[str, str]] = dict(lazy or {})

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        # a plain click.Command added from elsewhere (eval/) gets the Swedish usage line too
        if cmd.options_metavar == "[OPTIONS]":
            cmd.options_metavar = cli_sv.OPTIONS_METAVAR
        super().add_command(cmd, name)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        cli_sv.install()
        return super().main(*args, **kwargs)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, _, attr = self.lazy[cmd_name][0].partition(":")
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list, with a lazy command's help taken from ``lazy`` (nothing imported)."""
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy and name not in self.commands:
                rows.append((name, self.lazy[name][1]))
                continue
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(formatter.width - 6 - len(name))))
        if rows:
            with formatter.section(cli_sv.gettext("Commands")):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AssistentError as exc:
            click.echo(f"Fel: {exc}", err=True)
            ctx.exit(1)
