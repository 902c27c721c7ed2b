"""``workbench doctor``: what is installed, which database is used, which embedders run."""

from __future__ import annotations

from .core.versions import versions

__all__ = ["embedders", "format_doctor", "run_doctor", "versions"]


def embedders() -> list[dict]:
    """Which embedders can run right now (cheap checks; no model is loaded)."""
    try:
        from .models.choose import available_embedders
    except ImportError as exc:  # torch missing or broken
        return [{"name": "any", "available": False, "reason": f"models unavailable: {exc}"}]
    return available_embedders()


def run_doctor() -> dict:
    """Collect the doctor report. ``ok`` is False when the database does not answer."""
    from .glue.fo import database_status
    from .glue.plugins import plugin_status

    db = database_status()
    report = {"versions": versions(), "database": db, "embedders": embedders(),
              "app_plugin": plugin_status()}
    report["ok"] = bool(db.get("ok"))
    return report


def format_doctor(report: dict) -> str:
    """Human-readable doctor report."""
    lines = ["Versions:"]
    lines += [f"  {k:<18} {v or 'not installed'}" for k, v in report["versions"].items()]
    db = report["database"]
    where = db.get("uri") or db.get("database_dir")
    if db.get("ok"):
        lines.append(f"Database: {db['kind']} MongoDB {db.get('version')} at {where}: answers "
                     f"({db.get('datasets')} datasets)")
    else:
        lines.append(f"Database: {db['kind']} at {where}: DOES NOT ANSWER: {db.get('error')}")
        lines.append("  Fix: run `make setup` (installs the bundled mongod), or set "
                     "FIFTYONE_DATABASE_URI to a reachable MongoDB >= 6.0.")
    plugin = report.get("app_plugin")
    if plugin is not None:
        lines.append(f"App plugin: {'registered' if plugin['registered'] else 'not registered'}"
                     f" in {plugin['plugins_dir']}" + (
                         f" ({plugin['where']})" if plugin["registered"] else
                         f": {plugin['fix']}"))
    lines.append("Embedders:")
    for e in report["embedders"]:
        mark = "yes" if e.get("available") else "no "
        lines.append(f"  [{mark}] {e.get('name')}: {e.get('reason', '')}")
    return "\n".join(lines)
