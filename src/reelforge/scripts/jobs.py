"""Imported by the job registry (`reelforge.jobs.registry.BUILTIN_MODULES`): registers the `scripts`
table of work (every row a "script" job), the ledger paid work goes through, and the "script" kind."""

from reelforge.credits import service as credits
from reelforge.jobs.registry import WorkTable, register_table, use_ledger
from reelforge.scripts import tasks
from reelforge.scripts.models import Script, ScriptLog

SCRIPTS = register_table(
    WorkTable("scripts", Script, ScriptLog, "script_id", "scripts", noun="script", single_kind=tasks.KIND)
)
use_ledger(credits)
