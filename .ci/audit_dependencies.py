"""Audit every pin of the lock file against the OSV vulnerability database (pip-audit).

A known vulnerability fails the audit unless `.ci/audit-allow.txt` lists its id with the
reason it does not apply (`ID  reason`, one per line, `#` comments); an id listed without a
reason is an error, and an entry no pin needs any more is reported so it can go.

When the database cannot be reached (a machine with no way out but the package index),
the audit says so loudly and passes, unless AUDIT_REQUIRE_SERVICE=1, where it fails.

    python .ci/audit_dependencies.py [--requirements requirements.lock] [--osv-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
UNREACHABLE = ("ConnectionError", "Could not connect", "NameResolutionError", "Max retries")


def allowed(path: Path) -> dict[str, str]:
    """The allow-list: id -> why it does not apply."""
    found: dict[str, str] = {}
    if not path.exists():
        return found
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        vuln_id, _, reason = line.partition(" ")
        if not reason.strip():
            sys.exit(f"{path}:{number}: {vuln_id} needs a reason (`ID  why it does not apply`)")
        found[vuln_id] = reason.strip()
    return found


def run_pip_audit(requirements: Path, osv_url: str, output: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pip_audit", "--requirement", str(requirements),
               "--no-deps", "--disable-pip", "--vulnerability-service", "osv",
               "--osv-url", osv_url, "--format", "json", "--output", str(output),
               "--progress-spinner", "off", "--timeout", "20"]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requirements", type=Path, default=HERE.parent / "requirements.lock")
    parser.add_argument("--allow", type=Path, default=HERE / "audit-allow.txt")
    parser.add_argument(
        "--osv-url", default=os.environ.get("OSV_URL", "https://api.osv.dev/v1/query")
    )
    args = parser.parse_args()
    allow = allowed(args.allow)

    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "audit.json"
        result = run_pip_audit(args.requirements, args.osv_url, output)
        if not output.exists():
            if any(sign in result.stderr for sign in UNREACHABLE):
                print(f"!! dependency audit NOT run: {args.osv_url} cannot be reached from "
                      "this machine", file=sys.stderr)  # fmt: skip
                return 2 if os.environ.get("AUDIT_REQUIRE_SERVICE") == "1" else 0
            print(result.stderr, file=sys.stderr)
            return result.returncode or 1
        report = json.loads(output.read_text())

    pins = report["dependencies"]
    failing, used = [], set()
    for pin in pins:
        for vuln in pin.get("vulns", []):
            ids = {vuln["id"], *vuln.get("aliases", [])}
            if ids & allow.keys():
                used |= ids & allow.keys()
                continue
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fixed release yet"
            named = " / ".join([vuln["id"], *vuln.get("aliases", [])])
            failing.append(f"{pin['name']} {pin['version']}: {named} (fixed in {fixed}): "
                           f"{vuln.get('description', '')[:160]}")  # fmt: skip
    for vuln_id in sorted(allow.keys() - used):
        print(f"note: {vuln_id} is allowed in {args.allow.name} but no pin has it any more")
    if failing:
        print(f"{len(failing)} known vulnerabilities in {args.requirements.name}:")
        print("\n".join(f"  {line}" for line in failing))
        print(f"Upgrade the pin (make lock), or list the id with a reason in {args.allow}.")
        return 1
    print(f"dependency audit: {len(pins)} pins, no known vulnerability"
          + (f" ({len(used)} allowed with a reason)" if used else ""))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
