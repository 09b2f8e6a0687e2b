"""`python -m eval run ...` (the same as `assistent eval`) and `python -m eval bench ...`."""

from __future__ import annotations

import click

from assistent.cli import UserErrorGroup
from assistent.settings import offline_env
from eval.bench import bench_command
from eval.run import eval_command
from eval.train import cv_command, train_command


@click.group(cls=UserErrorGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Utvärdering och prestandamätning av Nämndassistenten."""
    offline_env()


cli.add_command(eval_command, "run")
cli.add_command(bench_command, "bench")
cli.add_command(train_command, "train")
cli.add_command(cv_command, "cv")

if __name__ == "__main__":
    cli()
