"""Start a TensorFlow cluster of worker processes on this machine: the same script, one ``TF_CONFIG`` each.

``launch("train.py", num_workers=2)`` picks free ports on 127.0.0.1, starts ``python train.py`` once per worker
with ``TF_CONFIG`` naming the whole cluster and the worker's own index (what ``MultiWorkerMirroredStrategy``
reads), prints every output line with a ``[worker i]`` prefix, and waits. When a worker fails, the others are
stopped and ``WorkerFailed`` names every worker that failed, with its exit code and last lines. Which
of two workers failing a moment apart failed first cannot be told reliably from outside (the kernel may reap them in
either order), so the report lists them by index, not by time. When the call returns or raises, no worker process
is left running.

On a real cluster nothing in the script changes: each machine runs it with a ``TF_CONFIG`` listing the real
hosts (``cluster_spec`` shows the format).
"""

from __future__ import annotations

import collections
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO


class WorkerFailed(RuntimeError):
    """One or more workers exited with an error; the others were stopped.

    ``failed`` lists, in index order, the workers that exited with an error: those found failed before the
    launcher stopped the rest, and any that exited with an error code of their own while being stopped (a worker
    whose peer died often fails a moment later). A worker ended by the launcher's signal (a negative return
    code) is not listed. ``result`` holds every worker's outcome.
    """

    def __init__(self, message: str, result: LaunchResult, failed: list[int]):
        super().__init__(message)
        self.result = result
        self.failed = failed


@dataclass
class WorkerResult:
    """One worker: its index, exit code (negative: killed by that signal) and its last output lines."""

    index: int
    returncode: int | None
    last_lines: list[str]


@dataclass
class LaunchResult:
    """What ``launch`` saw: the cluster's addresses, each worker's outcome, and every line in arrival order."""

    addresses: list[str]
    workers: list[WorkerResult]
    lines: list[tuple[int, str]] = field(default_factory=list)

    def output_of(self, index: int) -> list[str]:
        """The lines worker ``index`` printed, in order."""
        return [line for worker, line in self.lines if worker == index]


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """``count`` distinct ports that were free a moment ago (held open together while picking, then released)."""
    sockets = []
    try:
        for _ in range(count):
            probe = socket.socket()
            probe.bind((host, 0))
            sockets.append(probe)
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


def cluster_spec(addresses: list[str], index: int) -> dict:
    """The ``TF_CONFIG`` of worker ``index`` in a cluster of ``addresses`` (``"host:port"``, one per worker)."""
    if not 0 <= index < len(addresses):
        raise ValueError(f"worker index {index} is outside the cluster of {len(addresses)} workers")
    return {"cluster": {"worker": list(addresses)}, "task": {"type": "worker", "index": index}}


def _read_lines(index: int, stream, lines: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        lines.put((index, line.rstrip("\n")))
    stream.close()
    lines.put((index, None))                   # this worker's output has ended


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)         # the worker's session: the worker and whatever it started
    except (ProcessLookupError, PermissionError):
        pass


def _stop(processes: list[subprocess.Popen], grace: float = 5.0) -> None:
    """SIGTERM every worker's process group (a worker that has exited may have left children in it), then
    SIGKILL the groups after ``grace`` seconds if a worker is still running."""
    for process in processes:
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()
    for process in processes:                  # children that ignored SIGTERM
        _signal_group(process, signal.SIGKILL)


def launch(script: str | os.PathLike, num_workers: int = 2, args: list[str] | tuple = (),
           env: dict[str, str] | None = None, timeout: float = 600.0, stream: TextIO | None = None,
           tail: int = 15) -> LaunchResult:
    """Run ``python script *args`` as ``num_workers`` TensorFlow workers on this machine and wait for all.

    Args:
        script: the training script; every worker runs the same one.
        num_workers: how many worker processes.
        args: command-line arguments for every worker.
        env: extra environment variables for the workers (``TF_CONFIG`` is set per worker; TensorFlow's C++
            logging is quiet unless ``env`` or the environment sets ``TF_CPP_MIN_LOG_LEVEL``).
        timeout: seconds for the whole run; then every worker is stopped and ``TimeoutError`` raised.
        stream: where the prefixed lines go (default ``sys.stdout``; an ``io.StringIO()`` keeps them out of
            sight). Standard error is merged into each worker's output.
        tail: how many last lines of each worker to keep for the report.

    Returns:
        ``LaunchResult`` when every worker exits with 0.

    Raises:
        WorkerFailed: a worker exited with another code; the others were stopped. Every worker that had
            failed by then is named, in index order.
        TimeoutError: the run took longer than ``timeout``.
        FileNotFoundError: no such script.
    """
    script = Path(script)
    if not script.is_file():
        raise FileNotFoundError(f"no training script at {script}")
    if num_workers < 1:
        raise ValueError(f"num_workers must be 1 or more, got {num_workers}")
    stream = sys.stdout if stream is None else stream
    addresses = [f"127.0.0.1:{port}" for port in free_ports(num_workers)]
    base_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"),
                "PYTHONUNBUFFERED": "1", **(env or {})}
    processes: list[subprocess.Popen] = []
    readers: list[threading.Thread] = []
    lines: queue.Queue = queue.Queue()
    result = LaunchResult(addresses, [WorkerResult(i, None, []) for i in range(num_workers)])
    tails = [collections.deque(maxlen=tail) for _ in range(num_workers)]
    open_streams = num_workers

    def take(block: float | None) -> bool:
        """Move one line from the readers to the result and the stream; False when none came."""
        nonlocal open_streams
        try:
            index, line = lines.get(timeout=block) if block else lines.get_nowait()
        except queue.Empty:
            return False
        if line is None:
            open_streams -= 1
        else:
            result.lines.append((index, line))
            tails[index].append(line)
            print(f"[worker {index}] {line}", file=stream, flush=True)
        return True

    failed: list[int] = []
    try:
        for index in range(num_workers):
            worker_env = {**base_env, "TF_CONFIG": json.dumps(cluster_spec(addresses, index))}
            process = subprocess.Popen([sys.executable, "-u", str(script), *map(str, args)], env=worker_env,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                       errors="replace", start_new_session=True)
            processes.append(process)
            reader = threading.Thread(target=_read_lines, args=(index, process.stdout, lines), daemon=True)
            reader.start()
            readers.append(reader)
        deadline = time.monotonic() + timeout
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the workers ran longer than {timeout:.0f} s and were stopped")
            take(0.1)
            codes = [process.poll() for process in processes]
            failed = [i for i, code in enumerate(codes) if code not in (None, 0)]
            if failed or (open_streams == 0 and None not in codes):
                break
        if failed:                             # the failed workers' last lines, then stop the others
            for index in failed:
                readers[index].join(timeout=2.0)
            while take(None):
                pass
    finally:
        _stop(processes)
        for reader in readers:
            reader.join(timeout=5.0)
        while take(None):
            pass
        for worker, process, kept in zip(result.workers, processes, tails, strict=False):
            worker.returncode, worker.last_lines = process.returncode, list(kept)
    if failed:
        # A worker that exited with an error code of its own while the others were being stopped failed too
        # (a signal's exit, negative, is the launcher's doing and not a failure).
        failed = sorted(set(failed) | {w.index for w in result.workers if w.returncode and w.returncode > 0})
        raise WorkerFailed(_failure_report(result, failed), result, failed)
    return result


def _failure_report(result: LaunchResult, failed: list[int]) -> str:
    """"worker 1 exited with code 3; ..." for each failed worker, then each one's last lines."""
    codes = "; ".join(f"worker {i} exited with code {result.workers[i].returncode}" for i in failed)
    others = "the other workers were stopped" if len(failed) < len(result.workers) else "no worker was left"
    report = [f"{codes}; {others}."]
    for i in failed:
        shown = "\n".join(f"    {line}" for line in result.workers[i].last_lines) or "    (no output)"
        report.append(f"Worker {i}'s last lines:\n{shown}")
    return "\n".join(report)
