"""jupyter_kernel_test conformance suite for the rftlab kernel.

Run by tests/kernel/conformance.test.ts: /usr/bin/python3 -m unittest conformance, with JUPYTER_PATH
pointing at a prefix where the test installed the kernelspec.
"""
import unittest

import jupyter_kernel_test


class RftlabKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "rftlab"
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("an error line")'

    code_execute_result = [
        {"code": "1 + 2", "result": "3"},
        {"code": "[1, 2, 3].map((x) => x * 2)", "result": "[ 2, 4, 6 ]"},
        {"code": "'rft' + 'lab'", "result": "'rftlab'"},
        {"code": "typeof lab.initBackend", "result": "'function'"},
        {
            "code": '({ [Symbol.for("Jupyter.display")]: () => ({ "text/markdown": "**md**" }) })',
            "mime": "text/markdown",
            "result": "**md**",
        },
    ]

    code_display_data = [
        {"code": 'import * as tslab from "tslab"; tslab.display.html("<b>hi</b>")', "mime": "text/html"},
    ]

    completion_samples = [
        {"text": "Math.flo", "matches": {"floor"}},
        {"text": "lab.initBa", "matches": {"initBackend"}},
        {"text": "const zebraStripe = 1; zebraSt", "matches": {"zebraStripe"}},
    ]

    complete_code_samples = ["1 + 1", "const a = 1;", "function f() { return 1; }"]
    incomplete_code_samples = ["function f() {", "const xs = [1,", "if (true) {"]
    invalid_code_samples = ["let x = )", "1 +* 2", "const = 3;"]

    code_generate_error = 'throw new Error("deliberate")'

    code_history_pattern = "1 + *"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "Math.max"


if __name__ == "__main__":
    unittest.main()
