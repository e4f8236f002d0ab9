"""Drives one rftlab kernel through a list of steps for tests/kernel/session.test.ts.

stdin: JSON list of steps {code | batch: [code...], stop_on_error?, interrupt_after?: seconds}.
stdout: JSON list, one entry per step, each a list of {reply: content, outputs: [{type, content}]}.
"""
import json
import sys
import time

from jupyter_client.manager import start_new_kernel

TIMEOUT = 60


def collect(kc, msg_id):
    outputs = []
    while True:
        msg = kc.get_iopub_msg(timeout=TIMEOUT)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status":
            if msg["content"]["execution_state"] == "idle":
                return outputs
            continue
        outputs.append({"type": msg["msg_type"], "content": msg["content"]})


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
            if "interrupt_after" in step:
                time.sleep(step["interrupt_after"])
                km.interrupt_kernel()
            results.append([{"outputs": collect(kc, i), "reply": reply_for(kc, i)} for i in ids])
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    json.dump(results, sys.stdout, default=str)


if __name__ == "__main__":
    main()
