"""Click's own texts in Swedish: "Usage:", "Options:", "Show this message and exit.", its error messages.

Click marks every text it prints with ``gettext`` (``from gettext import gettext as _`` in each of
its modules) but ships no catalogues, and installing a catalogue for gettext's global default
domain would translate every other library that uses it too. So ``install()`` rebinds ``_`` and
``ngettext`` in click's modules to a lookup in ``SV`` that falls back to the English original:
a text click adds in a later version stays readable, only untranslated.
"""

from __future__ import annotations

import importlib

#: click's message ids → Swedish. Placeholders ({name}, %(prog)s …) are kept exactly.
SV: dict[str, str] = {
    "Usage:": "Användning:",
    "Options": "Flaggor",
    "Commands": "Kommandon",
    "Positional arguments": "Argument",
    "Show this message and exit.": "Visa den här hjälpen och avsluta.",
    "Show the version and exit.": "Visa versionen och avsluta.",
    "%(prog)s, version %(version)s": "%(prog)s, version %(version)s",
    "Try '{command} {option}' for help.": "Skriv '{command} {option}' för hjälp.",
    "Error: {message}": "Fel: {message}",
    "Aborted!": "Avbrutet.",
    "Missing command.": "Kommando saknas.",
    "No such command {name!r}.": "Kommandot {name!r} finns inte.",
    "No such option: {name}": "Flaggan {name} finns inte.",
    "No such option {name!r}.": "Flaggan {name!r} finns inte.",
    "Did you mean {possibility}?": "Menade du {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(Menade du någon av: {possibilities}?)",
    "Option {name!r} does not take a value.": "Flaggan {name!r} tar inget värde.",
    "Option {name!r} requires an argument.": "Flaggan {name!r} behöver ett värde.",
    "Option {name!r} requires {nargs} arguments.": "Flaggan {name!r} behöver {nargs} värden.",
    "Missing argument": "Argument saknas",
    "Missing option": "Flagga saknas",
    "Missing parameter": "Parameter saknas",
    "Missing parameter: {param_name}": "Parameter saknas: {param_name}",
    "Missing {param_type}": "{param_type} saknas",
    "Invalid value: {message}": "Ogiltigt värde: {message}",
    "Invalid value for {param_hint}: {message}": "Ogiltigt värde för {param_hint}: {message}",
    "Got unexpected extra argument ({args})": "Oväntat extra argument ({args})",
    "Got unexpected extra arguments ({args})": "Oväntade extra argument ({args})",
    "{value!r} is not a valid {number_type}.": "{value!r} är inte ett giltigt {number_type}.",
    "{value} is not in the range {range}.": "{value} ligger inte inom {range}.",
    "{value!r} is not {choice}.": "{value!r} är inte {choice}.",
    "{value!r} is not one of {choices}.": "{value!r} är inte något av {choices}.",
    "{value!r} does not match the format {format}.": "{value!r} följer inte formatet {format}.",
    "{value!r} does not match the formats {formats}.": "{value!r} följer inte formaten {formats}.",
    "{value!r} is not a valid boolean. Recognized values: {states}": (
        "{value!r} är inget giltigt sant/falskt-värde. Giltiga värden: {states}"
    ),
    "{name} {filename!r} does not exist.": "{name} {filename!r} finns inte.",
    "{name} {filename!r} is a file.": "{name} {filename!r} är en fil.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} är en mapp.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} går inte att läsa.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} går inte att skriva.",
    "{name} {filename!r} is not executable.": "{name} {filename!r} är inte körbar.",
    "Could not open file {filename!r}: {message}": "Filen {filename!r} kunde inte öppnas: {message}",
    "file": "Filen",
    "directory": "Mappen",
    "path": "Sökvägen",
    "default: {default}": "standard: {default}",
    "required": "krävs",
    "env var: {var}": "miljövariabel: {var}",
    "(dynamic)": "(dynamiskt)",
    "deprecated": "föråldrad",
    "Do you want to continue?": "Vill du fortsätta?",
    "Repeat for confirmation": "Upprepa för att bekräfta",
    "Error: The two entered values do not match.": "Fel: De två värdena är inte lika.",
    "Error: invalid input": "Fel: ogiltig inmatning",
    "Confirm the action without prompting.": "Bekräfta utan att fråga.",
    "Press any key to continue...": "Tryck på valfri tangent för att fortsätta …",
}

#: The usage line's placeholders (click's defaults are "[OPTIONS]" and "COMMAND [ARGS]...").
OPTIONS_METAVAR = "[FLAGGOR]"
SUBCOMMAND_METAVAR = "KOMMANDO [ARGUMENT]..."

_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "types", "termui", "utils")
#: Type names: shown as an option's placeholder (upper case) and in "'tre' är inte ett giltigt heltal".
_TYPE_NAMES = {"IntParamType": "heltal", "IntRange": "heltal", "FloatParamType": "decimaltal", "FloatRange": "decimaltal"}


def _path_metavar(self, param, ctx) -> str:
    """A click.Path option's placeholder: FIL, MAPP or SÖKVÄG (click shows FILE, DIRECTORY, PATH)."""
    if self.file_okay and not self.dir_okay:
        return "FIL"
    if self.dir_okay and not self.file_okay:
        return "MAPP"
    return "SÖKVÄG"


def gettext(message: str) -> str:
    """The Swedish text for one of click's message ids (the id itself when there is none)."""
    return SV.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Swedish singular or plural of one of click's message ids."""
    return gettext(singular if n == 1 else plural)


def install() -> None:
    """Make click print its own texts in Swedish (idempotent; affects click only)."""
    for name in _MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]
    import click.types as types

    for cls, name in _TYPE_NAMES.items():
        getattr(types, cls).name = name
    types.Path.get_metavar = _path_metavar  # type: ignore[method-assign,assignment]
