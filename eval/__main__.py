"""`python -m eval run|structure|bench|train|cv ...` (the same as `assistent eval ...`); see eval/cli.py."""

from eval.cli import cli

if __name__ == "__main__":
    cli()
