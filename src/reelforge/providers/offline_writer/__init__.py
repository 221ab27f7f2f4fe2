"""The offline script writer: deterministic templates in Korean and English, no model, no network.

`writer` builds the script, `words` reads the topic (Korean particles, nouns, its frame), and
`phrases/*.json` hold the word lists and sentence templates.
"""

from __future__ import annotations

from reelforge.providers.offline_writer.words import Topic, analyse, josa
from reelforge.providers.offline_writer.writer import default_image_prompt, write_offline

__all__ = ["Topic", "analyse", "default_image_prompt", "josa", "write_offline"]
