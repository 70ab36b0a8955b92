"""course_lib.distributed: worker processes with TF_CONFIG on this machine, their output, failures, clean stops."""

import io
import json
import os
import textwrap
import time

import pytest

from course_lib import distributed


def write(tmp_path, name, code):
    path = tmp_path / name
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    return path


def alive(pid: int) -> bool:
    """True while process ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def pids(lines, index=None):
    return [int(line.split()[1]) for worker, line in lines if line.startswith("pid ")
            and (index is None or worker == index)]


def test_cluster_spec_names_every_worker_and_this_one():
    spec = distributed.cluster_spec(["127.0.0.1:1", "127.0.0.1:2"], 1)
    assert spec == {"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}, "task": {"type": "worker", "index": 1}}
    with pytest.raises(ValueError, match="outside the cluster of 2"):
        distributed.cluster_spec(["127.0.0.1:1", "127.0.0.1:2"], 2)
    ports = distributed.free_ports(4)
    assert len(set(ports)) == 4


def test_each_worker_gets_its_own_tf_config_and_its_lines_a_prefix(tmp_path):
    script = write(tmp_path, "hello.py", """
        import json, os
        config = json.loads(os.environ["TF_CONFIG"])
        print("index", config["task"]["index"], "of", len(config["cluster"]["worker"]))
        print("workers", ",".join(config["cluster"]["worker"]))
    """)
    shown = io.StringIO()
    result = distributed.launch(script, num_workers=3, stream=shown)
    assert [w.returncode for w in result.workers] == [0, 0, 0]
    for index in range(3):
        assert result.output_of(index)[0] == f"index {index} of 3"
        assert result.output_of(index)[1] == "workers " + ",".join(result.addresses)
        assert f"[worker {index}] index {index} of 3" in shown.getvalue().splitlines()
    assert len(set(result.addresses)) == 3 and all(a.startswith("127.0.0.1:") for a in result.addresses)


def test_a_crashing_worker_stops_the_others_and_is_reported(tmp_path):
    script = write(tmp_path, "crash.py", """
        import json, os, subprocess, sys, time
        index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        print("pid", os.getpid(), flush=True)
        print("pid", child.pid, flush=True)
        if index == 1:
            time.sleep(1)
            print("step 3: loss nan", flush=True)
            sys.exit(3)
        time.sleep(120)
    """)
    started = time.monotonic()
    with pytest.raises(distributed.WorkerFailed) as failure:
        distributed.launch(script, num_workers=2, stream=io.StringIO())
    assert time.monotonic() - started < 60
    message = str(failure.value)
    assert "worker 1 exited with code 3" in message and "step 3: loss nan" in message
    assert failure.value.failed == [1], "worker 0 never fails on its own: it is stopped"
    result = failure.value.result
    assert result.workers[1].returncode == 3 and result.workers[0].returncode != 0
    every = pids(result.lines)
    assert len(every) == 4, "each worker and its child printed their pid"
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in every) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in every), "no worker, nor a process a worker started, survives"


def test_a_worker_that_fails_a_moment_after_another_is_named_too_never_instead(tmp_path):
    """As when a worker dies and its peer's collective operation then fails. Which was first cannot be told from
    outside (two exits a moment apart may be reaped in either order), so the report lists every failed worker by
    index; the one that failed first is always among them, whichever order the kernel reaped them in."""
    script = write(tmp_path, "both_fail.py", f"""
        import json, os, pathlib, sys, time
        index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
        note = pathlib.Path({str(tmp_path / "worker1.pid")!r})
        if index == 1:
            time.sleep(0.5)
            note.write_text(str(os.getpid()))
            os._exit(3)
        while not note.exists() or not note.read_text():
            time.sleep(0.001)
        stat = pathlib.Path("/proc", note.read_text(), "stat")
        while stat.exists() and stat.read_text().split(") ", 1)[1][0] != "Z":   # until worker 1 has exited
            time.sleep(0.001)
        os._exit(5)
    """)
    for _ in range(5):       # each run may see worker 0 fail on its own or be stopped first; both are right
        with pytest.raises(distributed.WorkerFailed) as failure:
            distributed.launch(script, num_workers=2, stream=io.StringIO())
        (tmp_path / "worker1.pid").unlink()
        error, workers = failure.value, failure.value.result.workers
        assert 1 in error.failed and "worker 1 exited with code 3" in str(error)
        assert error.failed == sorted(error.failed)
        if workers[0].returncode == 5:         # it failed on its own, before or while the launcher stopped it
            assert error.failed == [0, 1]
            assert str(error).startswith("worker 0 exited with code 5; worker 1 exited with code 3; no worker")
        else:
            assert workers[0].returncode < 0, "otherwise worker 0 was stopped by the launcher's signal"
            assert error.failed == [1]
            assert str(error).startswith("worker 1 exited with code 3; the other workers were stopped.")


def test_a_run_over_its_time_is_stopped(tmp_path):
    script = write(tmp_path, "slow.py", """
        import os, time
        print("pid", os.getpid(), flush=True)
        time.sleep(120)
    """)
    shown = io.StringIO()
    with pytest.raises(TimeoutError, match="longer than 3 s"):
        distributed.launch(script, num_workers=2, timeout=3, stream=shown)
    every = [int(line.split()[-1]) for line in shown.getvalue().splitlines() if " pid " in line]
    assert len(every) == 2 and not any(alive(pid) for pid in every)


def test_bad_arguments_are_explained(tmp_path):
    with pytest.raises(FileNotFoundError, match="no training script"):
        distributed.launch(tmp_path / "missing.py")
    with pytest.raises(ValueError, match="1 or more"):
        distributed.launch(write(tmp_path, "ok.py", "print(1)"), num_workers=0)


MULTI_WORKER = """
    import numpy as np
    import tensorflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    GLOBAL_BATCH = 16
    rng = np.random.default_rng(0)                                  # the same data on every worker
    x = rng.normal(size=(256, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0], "float32"))[:, None]
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(GLOBAL_BATCH).repeat()
    batches = iter(strategy.experimental_distribute_dataset(data))
    with strategy.scope():
        weights = tf.Variable(tf.zeros((4, 1)))

    @tf.function
    def step(batch):
        def replica(inputs):
            features, target = inputs
            with tf.GradientTape() as tape:
                loss = tf.nn.compute_average_loss(tf.reduce_sum((features @ weights - target) ** 2, axis=1),
                                                  global_batch_size=GLOBAL_BATCH)
            gradient = tape.gradient(loss, weights)
            gradient = tf.distribute.get_replica_context().all_reduce("sum", gradient)
            weights.assign_sub(0.05 * gradient)
            return loss
        return strategy.reduce("sum", strategy.run(replica, args=(batch,)), axis=None)

    losses = [float(step(next(batches))) for _ in range(30)]
    print(f"replicas {strategy.num_replicas_in_sync} first {losses[0]:.4f} last {losses[-1]:.4f}")
    print(f"checksum {float(tf.reduce_sum(weights)):.6f}")
"""


def test_two_workers_train_in_step_with_multi_worker_mirrored_strategy(tmp_path):
    script = write(tmp_path, "multi.py", MULTI_WORKER)
    result = distributed.launch(script, num_workers=2, stream=io.StringIO(), timeout=300)
    summaries = [[line for line in result.output_of(i) if line.startswith(("replicas", "checksum"))]
                 for i in range(2)]
    assert summaries[0][0].startswith("replicas 2")
    first, last = (float(summaries[0][0].split()[k]) for k in (3, 5))
    assert last < 0.1 * first, "the loss falls"
    assert summaries[0][1] == summaries[1][1], "both workers end with the same weights"
    assert json.loads(json.dumps(result.addresses)) == result.addresses
    assert os.environ.get("TF_CONFIG") is None, "the launcher does not change this process's environment"
