"""The orphan case for tests/kernel/interrupt.test.ts: a client starts a kernel, blocks its event loop
and dies (SIGKILL, no shutdown). stdout: JSON {"gone_after": seconds until the kernel exited, or null}."""
import json
import os
import signal
import subprocess
import sys
import time

CLIENT = """
import sys, time
from jupyter_client.manager import start_new_kernel
km, kc = start_new_kernel(kernel_name="rftlab", startup_timeout=60)
kc.execute_interactive("1 + 1", timeout=60, output_hook=lambda msg: None)
kc.execute("await null;\\nwhile (true) {}")
print("kernel", km.provisioner.process.pid, flush=True)
time.sleep(600)
"""


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; its parent (the dead client) just never reaped it.
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


def main():
    client = subprocess.Popen([sys.executable, "-c", CLIENT], stdout=subprocess.PIPE, text=True)
    kernel = int(next(line for line in client.stdout if line.startswith("kernel ")).split()[1])
    time.sleep(1)  # the cell is now blocking the kernel's event loop
    client.send_signal(signal.SIGKILL)
    client.wait()
    killed = time.monotonic()
    while time.monotonic() - killed < 30:
        if not alive(kernel):
            json.dump({"gone_after": time.monotonic() - killed}, sys.stdout)
            return
        time.sleep(0.1)
    os.kill(kernel, signal.SIGKILL)
    json.dump({"gone_after": None}, sys.stdout)


if __name__ == "__main__":
    main()
