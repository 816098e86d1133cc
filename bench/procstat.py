"""CPU time of a process on this machine, read from /proc (Linux); the bench scripts use it
to say where a request's cost goes (web server, PostgreSQL backend, client)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple


class ProcStat(NamedTuple):
    name: str  # the command name (``comm``), e.g. "postgres"
    parent: int
    cpu_seconds: float  # user + system, threads included


def proc_stat(pid: int | str) -> ProcStat | None:
    """The process's name, parent and CPU time so far; None if it is gone or there is no
    /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    close = stat.rindex(")")  # the name may hold spaces and parentheses
    fields = stat[close + 2:].split()  # after "pid (comm) ": state, ppid, ...
    ticks = (int(fields[11]) + int(fields[12]))  # utime, stime
    return ProcStat(stat[stat.index("(") + 1:close], int(fields[1]),
                    ticks / os.sysconf("SC_CLK_TCK"))
