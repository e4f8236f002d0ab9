"""Executes one notebook with nbclient for `rftlab reproduce`.

Usage: /usr/bin/python3 run-notebook.py IN.ipynb OUT.ipynb KERNEL_NAME TIMEOUT_SECONDS
Writes the executed notebook (also when a cell fails) and prints one JSON line:
{"status": "ok" | "failed", "cell": 1-based index of the failing cell or null, "ename", "evalue", "seconds", "cpu_seconds"}
(cpu_seconds: the kernel's CPU time, so a run's cost can be read apart from the machine's load).
The kernel runs in the notebook's folder, as in Jupyter.
"""
import json
import os
import resource
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def failing_cell(nb):
    """The first code cell with an error output, else the first code cell that never finished."""
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for i, cell in code:
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return i + 1
    for i, cell in code:
        if cell.get("execution_count") is None and cell.source.strip():
            return i + 1
    return None


def main():
    src, dst, kernel, timeout = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    nb = nbformat.read(src, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(
        nb,
        kernel_name=kernel,
        timeout=timeout,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(src))}},
    )
    result = {"status": "ok", "cell": None, "ename": None, "evalue": None}
    start = time.time()
    try:
        client.execute()
    except CellExecutionError as e:
        result.update(status="failed", ename=e.ename, evalue=e.evalue)
    except Exception as e:  # a dead kernel or a cell timeout
        lines = str(e).strip().splitlines()
        result.update(status="failed", ename=type(e).__name__, evalue=lines[-1] if lines else "")
    result["seconds"] = round(time.time() - start, 3)
    # The kernel is this process's child, reaped when the client shuts it down.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    result["cpu_seconds"] = round(children.ru_utime + children.ru_stime, 3)
    if result["status"] == "failed":
        result["cell"] = failing_cell(nb)
    nbformat.write(nb, dst)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
