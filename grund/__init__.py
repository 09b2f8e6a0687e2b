"""The ground floor: what every stage shares.

Records passed between stages (``records``), the one settings object (``settings``), the error
hierarchy (``errors``), phrases and prompts (``prompts``), Swedish text tools (``textproc``,
``synonyms``), diarienummer and § (``dnr``), kommun names (``kommuner``), answer units cut from a
section (``units``), personnummer masking (``privacy``) and prompt-injection detection
(``injection``). Nothing here imports ``ingest``, ``assistent``, ``web`` or ``eval``.
"""
