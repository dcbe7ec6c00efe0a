"""Runs graphql-http's server audit (the GraphQL-over-HTTP spec's own checks) against the API.

Installs the graphql-http npm package into a temporary directory (needs node and npm),
serves the app on the embedded stack and prints the audit's counts and every check that
did not pass, as JSON.

    .venv/bin/python -m bench.graphql_http_audit
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.common import embedded_stack, emit, machine

GRAPHQL_HTTP_VERSION = "1.23.1"
AUDIT_SCRIPT = """
import { auditServer } from 'graphql-http';
const results = await auditServer({ url: process.argv[2] });
const counts = { ok: 0, warn: 0, error: 0 };
const notOk = [];
for (const r of results) {
  counts[r.status] += 1;
  if (r.status !== 'ok') notOk.push({ id: r.id, name: r.name, status: r.status, reason: r.reason });
}
console.log(JSON.stringify({ checks: results.length, ...counts, not_ok: notOk }));
"""


async def main() -> None:
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        emit({"benchmark": "graphql_http_audit", "skipped": "node and npm are needed"})
        return
    with tempfile.TemporaryDirectory(prefix="graphql-http-") as work:
        directory = Path(work)
        (directory / "package.json").write_text('{"type": "module"}')
        subprocess.run([npm, "install", "--silent", f"graphql-http@{GRAPHQL_HTTP_VERSION}", "graphql@16"],
                       cwd=directory, check=True, capture_output=True)  # fmt: skip
        (directory / "audit.mjs").write_text(AUDIT_SCRIPT)
        async with embedded_stack(rate_limits="off") as stack:
            process = await asyncio.create_subprocess_exec(
                node, "audit.mjs", f"{stack.base_url}/graphql", cwd=directory, stdout=asyncio.subprocess.PIPE
            )
            stdout, _ = await process.communicate()
    emit({"benchmark": "graphql_http_audit", "machine": machine(), "graphql_http": GRAPHQL_HTTP_VERSION,
          **json.loads(stdout)})  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
