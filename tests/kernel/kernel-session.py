"""Drives one rftlab kernel through a list of steps for tests/kernel/session.test.ts.

stdin: JSON list of steps {code | batch: [code...], stop_on_error?, interrupt_after?: seconds}.
stdout: JSON list, one entry per step, each a list of {reply: content, outputs: [{type, content, t}], busy_t};
an interrupted step also has interrupt_seconds (from the interrupt to the reply).
"""
import json
import sys
import time

from jupyter_client.manager import start_new_kernel

TIMEOUT = 60


def collect(kc, msg_id):
    """iopub outputs of one request, each with t (seconds since the epoch when it arrived), and busy's t."""
    outputs = []
    busy_t = None
    while True:
        msg = kc.get_iopub_msg(timeout=TIMEOUT)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status":
            if msg["content"]["execution_state"] == "idle":
                return outputs, busy_t
            busy_t = time.time()
            continue
        outputs.append({"type": msg["msg_type"], "content": msg["content"], "t": time.time()})


def reply_for(kc, msg_id):
    while True:
        msg = kc.get_shell_msg(timeout=TIMEOUT)
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg["content"]


def main():
    steps = json.load(sys.stdin)
    km, kc = start_new_kernel(kernel_name="rftlab", startup_timeout=TIMEOUT)
    results = []
    try:
        for step in steps:
            codes = step.get("batch") or [step["code"]]
            ids = [kc.execute(c, stop_on_error=step.get("stop_on_error", True)) for c in codes]
            interrupted_at = None
            if "interrupt_after" in step:
                time.sleep(step["interrupt_after"])
                km.interrupt_kernel()
                interrupted_at = time.monotonic()
            done = []
            for i in ids:
                outputs, busy_t = collect(kc, i)
                done.append({"outputs": outputs, "busy_t": busy_t, "reply": reply_for(kc, i)})
            if interrupted_at is not None:
                done[0]["interrupt_seconds"] = time.monotonic() - interrupted_at
            results.append(done)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    json.dump(results, sys.stdout, default=str)


if __name__ == "__main__":
    main()
