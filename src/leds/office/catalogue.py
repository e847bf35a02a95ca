"""The data office's services catalogue: the portal's home page.  Each service has its service
group (the plan's), status (live, beta or coming soon), how to use it, and its guidance.  The
plan's year-one measure, "80% of key NDAO services accessible through the portal", is computed
from this table (benefits.COMPUTED["portal_coverage"]).  ``actions`` are the service's forms
(label, page, the action a role needs to see the link)."""

from __future__ import annotations

from typing import Any

LIVE, BETA, SOON = "live", "beta", "coming_soon"

SERVICES: list[dict[str, Any]] = [
    {"id": "maturity", "title": "Data maturity assessments", "group": "Improving data culture and literacy",
     "status": LIVE, "key": True, "href": "/office/maturity",
     "summary": "Assess your force's data maturity against a framework, with evidence, and compare it with the "
                "national picture and similar forces.",
     "how": "A force data manager starts a round for their force, answers each question with the level reached "
            "and the evidence for it, and submits. The national dashboard updates at once.",
     "guidance": ["Force data strategy maturity scale (0-5)", "Data Maturity Assessment framework (CDDO-style)"],
     "actions": [("Complete a maturity round", "/office/maturity/assess", "assess_maturity")]},
    {"id": "commissioning", "title": "Commissioning and prioritisation", "group": "Setting up for success",
     "status": LIVE, "key": True, "href": "/office/commissioning",
     "summary": "Ask the data office for analysis, a data product or a national data set; requests are "
                "triaged against the National Prioritisation Model and duplicate requests are spotted.",
     "how": "Describe the problem and the evidence of need; check the similar requests shown before you submit.",
     "guidance": ["National Prioritisation Model criteria", "What makes good evidence of need"],
     "actions": [("Ask the data office", "/office/commissioning/new", "request_commissioning")]},
    {"id": "benefits", "title": "Benefits realisation", "group": "Setting up for success", "status": LIVE,
     "key": True, "href": "/office/benefits",
     "summary": "Benefit profiles with baseline, target, owner and RAG status; measures leds can count are "
                "filled in automatically.",
     "how": "The data office adds the profiles and records their measurements here; anyone with portal access "
            "can follow them.",
     "guidance": ["Benefit profile template (BEN_001)"],
     "actions": [("Add a benefit profile", "/office/benefits/new", "manage_benefits")]},
    {"id": "delivery", "title": "Delivery tracking", "group": "Setting up for success", "status": LIVE,
     "key": True, "href": "/office/objectives",
     "summary": "Objectives by strand with owners, RAG ratings and the risk register; a quarterly report is "
                "generated in the delivery plan's shape.",
     "how": "The data office adds objectives and risks and updates their RAG and progress from the owners' "
            "returns; the quarterly report is one click.",
     "guidance": ["Delivery plan RAG definitions"],
     "actions": [("Add an objective", "/office/objectives/new", "manage_benefits")]},
    {"id": "quality", "title": "Data quality and the performance framework", "group": "Enabling access to data",
     "status": LIVE, "key": True, "href": "/quality",
     "summary": "Data-quality scorecards by force and source, new and resolved failures, and the national data "
                "performance framework.",
     "how": "Open the scorecard; drill down to failing records with a stated purpose.",
     "guidance": ["Data-quality rules"]},
    {"id": "national-data", "title": "National law enforcement data", "group": "Enabling access to data",
     "status": LIVE, "key": True, "href": "/",
     "summary": "Checks, search and the single view over the national data forces send as updategrams.",
     "how": "Forces connect their systems by sending updategrams; users sign in with their force account.",
     "guidance": ["Updategram contract", "National data standard"]},
    {"id": "sharing", "title": "Data sharing toolkit", "group": "Enabling responsible use of data",
     "status": BETA, "key": True, "href": None,
     "summary": "Standard data sharing agreements, purpose-limited exports and guidance for secure and ethical "
                "sharing across policing and with partners.",
     "how": "Agreements are recorded with their purposes; exports under them are audited.",
     "guidance": ["Data sharing agreement template"]},
    {"id": "anpr", "title": "ANPR analytics", "group": "Delivering high-impact analytics", "status": LIVE,
     "key": False, "href": "/anpr",
     "summary": "Route profiles, convoys and cloned plates from ANPR reads, for county lines investigations.",
     "how": "Investigators and analysts with the ANPR action query by plate or route.", "guidance": []},
    {"id": "skills", "title": "Data skills and pathways", "group": "Growing data and analytics capability",
     "status": SOON, "key": True, "href": None,
     "summary": "Role profiles, a national skills framework and learning pathways for data professionals.",
     "how": "Coming soon.", "guidance": []},
    {"id": "ethics", "title": "Data ethics advice", "group": "Enabling responsible use of data",
     "status": SOON, "key": False, "href": None,
     "summary": "A national data and analytics ethics approach, and advice on new uses of data.",
     "how": "Coming soon.", "guidance": []},
]

BY_ID = {s["id"]: s for s in SERVICES}


def coverage() -> dict[str, Any]:
    """Key services reachable through the portal (live or beta), as a share of key services."""
    key = [s for s in SERVICES if s["key"]]
    live = [s for s in key if s["status"] != SOON]
    return {"key": len(key), "available": len(live), "percent": round(100.0 * len(live) / len(key), 1)}
