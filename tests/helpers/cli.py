"""Running the ``workbench`` command in a subprocess, with its peak memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys

#: Runs the CLI in-process and, at exit, prints the process's own peak RSS (VmHWM, in kB)
#: as the last line on stderr. VmHWM starts afresh at exec; ``ru_maxrss`` would not: Linux
#: carries the parent's high-water mark across fork and exec, so a child of a test process
#: that holds torch would report that process's memory as its own.
_MEASURED = """
import atexit, sys
def _peak():
    with open("/proc/self/status") as fh:
        hwm = next(line.split()[1] for line in fh if line.startswith("VmHWM:"))
    print(f"PEAK_RSS_KB {hwm}", file=sys.stderr)
atexit.register(_peak)
from workbench.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run_cli(*args: str, check: bool = False, env: dict | None = None, cwd=None,
            timeout: int = 900) -> subprocess.CompletedProcess:
    """Run ``workbench ARGS`` in a subprocess with the test environment."""
    proc = subprocess.run([sys.executable, "-m", "workbench.cli", *args], capture_output=True,
                          text=True, env=env or os.environ.copy(), cwd=cwd, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"workbench {' '.join(args)} exited {proc.returncode}:\n"
                             f"{proc.stderr}")
    return proc


def run_cli_measured(*args: str, timeout: int = 900) -> tuple[subprocess.CompletedProcess, float]:
    """Like :func:`run_cli`; also returns the peak RSS in MB of the command or any worker.

    The command's own peak is its VmHWM; worker processes are sampled every 20 ms.
    """
    import time

    import psutil

    proc = subprocess.Popen([sys.executable, "-c", _MEASURED, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    watched = psutil.Process(proc.pid)
    workers = 0.0
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            for child in watched.children(recursive=True):
                workers = max(workers, child.memory_info().rss / 2**20)
        except psutil.Error:
            pass
        time.sleep(0.02)
    stdout, stderr = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
    done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    lines = [ln for ln in stderr.splitlines() if ln.startswith("PEAK_RSS_KB ")]
    own = int(lines[-1].split()[1]) / 1024 if lines else float("nan")
    print(f"peak RSS: command {own:.0f} MB, workers {workers:.0f} MB", file=sys.stderr)
    return done, max(own, workers)


def json_out(proc: subprocess.CompletedProcess) -> dict:
    """The one JSON object a ``--json`` command printed on stdout."""
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"stdout is not one JSON object ({exc}):\n{proc.stdout[:2000]}\n"
                             f"stderr:\n{proc.stderr[-3000:]}") from None
