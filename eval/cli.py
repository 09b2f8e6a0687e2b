"""eval/'s command group: `assistent eval …` and `python -m eval …` are the same commands.

`run` is the default, so `assistent eval --docs corpus` keeps meaning `assistent eval run --docs corpus`.
"""

from __future__ import annotations

import click

from assistent.cli_errors import UserErrorGroup
from eval.bench import bench_command
from eval.run import eval_command
from eval.structure import structure_command
from eval.train import cv_command, train_command
from grund.settings import offline_env


class _RunByDefault(UserErrorGroup):
    """A group whose first argument, when it is no subcommand, goes to `run`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_RunByDefault, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Utvärdering och prestandamätning av Nämndassistenten (standard: run)."""
    offline_env()


cli.add_command(eval_command, "run")
cli.add_command(structure_command, "structure")
cli.add_command(bench_command, "bench")
cli.add_command(train_command, "train")
cli.add_command(cv_command, "cv")
