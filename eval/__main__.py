"""`python -m eval run ...` (the same as `assistent eval`) and `python -m eval bench ...`."""

from __future__ import annotations

import click

from assistent.errors import AssistentError
from assistent.settings import offline_env
from eval.bench import bench_command
from eval.run import eval_command


class _Group(click.Group):
    """User errors (AssistentError) become one line on stderr and exit code 1, as in `assistent`."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AssistentError as exc:
            click.echo(f"Fel: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Utvärdering och prestandamätning av Nämndassistenten."""
    offline_env()


cli.add_command(eval_command, "run")
cli.add_command(bench_command, "bench")

if __name__ == "__main__":
    cli()
