"""Render the published rule table as Markdown (for docs/access.md)."""

from __future__ import annotations

from . import rules


def markdown_matrix() -> str:
    lines = ["## Roles and actions", "",
             "| role | " + " | ".join(f"`{a}`" for a in rules.ACTIONS) + " |",
             "| --- | " + " | ".join("---" for _ in rules.ACTIONS) + " |"]
    for key, role in rules.ROLES.items():
        marks = ["yes" if a in role["actions"] else "" for a in rules.ACTIONS]  # type: ignore[operator]
        lines.append(f"| {role['title']} (`{key}`) | " + " | ".join(marks) + " |")
    lines += ["", "## Roles and datasets", "",
              "| role | datasets |", "| --- | --- |"]
    for key, role in rules.ROLES.items():
        ds = ", ".join(f"`{d}`" for d in role["datasets"]) or "none: no personal records"  # type: ignore[attr-defined]
        lines.append(f"| `{key}` | {ds} |")
    lines += ["", "## Vetting and handling", "", "| vetting | highest handling it may see |", "| --- | --- |"]
    lines += [f"| `{v}` | `{h}` |" for v, h in rules.VETTING.items()]
    lines += ["", "## Field redactions", "", "| role | record type | fields removed |", "| --- | --- | --- |"]
    for role_key, by_type in rules.REDACTIONS.items():
        for rtype, fields in by_type.items():
            lines.append(f"| `{role_key}` | `{rtype}` | {', '.join(f'`{f}`' for f in fields)} |")
    lines += ["", "## Purposes (reasons for a look-up)", "", "| code | label | needs an explanation |",
              "| --- | --- | --- |"]
    lines += [f"| `{k}` | {v['label']} | {'yes' if v['needs_text'] else 'no'} |" for k, v in rules.PURPOSES.items()]
    return "\n".join(lines) + "\n"
