"""Check the installed distributions against a local copy of the PyPA advisory database.

    python tools/audit_deps.py ADVISORY_DB_DIR

Stands in for `pip-audit` where its services are unreachable (this workplace serves neither
PyPI's JSON API nor osv.dev). ADVISORY_DB_DIR is a checkout of github.com/pypa/advisory-database;
the result is only as fresh as that checkout, so say its date with the result.
Exit status 1 when an installed version falls in an advisory's ECOSYSTEM range.
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version


def affected(version: Version, events: list[dict[str, str]]) -> bool:
    """OSV ECOSYSTEM range semantics: introduced ≤ v < fixed (or ≤ last_affected)."""
    inside = False
    for event in events:
        if "introduced" in event:
            inside = event["introduced"] == "0" or version >= Version(event["introduced"])
        elif inside and _closes(version, event):
            inside = False
    return inside


def _closes(version: Version, event: dict[str, str]) -> bool:
    if "fixed" in event:
        return version >= Version(event["fixed"])
    return "last_affected" in event and version > Version(event["last_affected"])


def main() -> int:
    root = Path(sys.argv[1]) / "vulns"
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    findings = []
    for name, raw_version in sorted(installed.items()):
        folder = root / name
        if not folder.is_dir():
            continue
        version = Version(raw_version)
        for advisory in sorted(folder.glob("*.yaml")):
            data = yaml.safe_load(advisory.read_text(encoding="utf-8"))
            if data.get("withdrawn"):
                continue
            for entry in data.get("affected", []):
                for spec in entry.get("ranges", []):
                    try:
                        hit = spec.get("type") == "ECOSYSTEM" and affected(version, spec.get("events", []))
                    except InvalidVersion:
                        hit = False
                    if hit:
                        findings.append(f"{name} {raw_version}: {data['id']} ({advisory.name})")
    print(f"{len(installed)} distributions checked against {root.parent}")
    for line in findings:
        print(line)
    print(f"{len(findings)} known vulnerabilities")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
