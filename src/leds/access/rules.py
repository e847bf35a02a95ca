"""The access policy, as one published rule table.

This module *is* the policy: the enforcement code (``policy.py``) reads these
tables and nothing else, ``docs/access.md`` is generated from them
(``leds access matrix --markdown``), and an auditor can read them as they are.
Change a rule here and every read path (API, web, exports, reports, search,
alert delivery) changes with it.
"""

from __future__ import annotations

from leds.standard.codes import DATASETS, HANDLING_ORDER

ACTIONS: dict[str, str] = {
    "check": "run a person or vehicle check",
    "search": "descriptive and full-text search",
    "view_person": "open the single view of a person",
    "view_record": "open a source record with its provenance and history",
    "export": "export records out of the service (a disclosure)",
    "review_matches": "judge uncertain matches (same / not same)",
    "manage_alerts": "subscribe to changes on subjects",
    "watch_lookups": "be told when another user looks up a watched person (investigative interest)",
    "view_missing": "see the national register of missing persons",
    "manage_missing": "report missing persons, re-grade, mark found, lodge protocols, record unidentified people",
    "view_data_quality": "see data-quality measures by force",
    "view_reports": "see aggregate management information",
    "manage_quarantine": "inspect and retry quarantined updategrams",
    "view_audit": "query the audit trail and misuse signals",
    "manage_users": "create, change and disable accounts",
    "review_retention": "review records due under the retention rules (retain, restrict, dispose)",
    "manage_rights": "handle data subjects' requests (access, rectification, erasure, restriction) and legal holds",
    "view_restricted": "see records restricted by a review decision or while their accuracy is disputed",
    "anpr": "query ANPR reads: route profiles, convoys, cloned plates, a vehicle's trips",
    "search_documents": "search and open a case's documents (only collections whose team the user is on)",
    "approve_sharing": "approve, suspend and reinstate data sharing agreements (the register's sign-off)",
    "view_office": "use the data office's portal: maturity dashboard, commissioning requests, benefits, delivery",
    "assess_maturity": "complete a data maturity round (a force data manager: their own force only)",
    "request_commissioning": "submit a commissioning request to the data office",
    "decide_commissioning": "score requests against the National Prioritisation Model, categorise and decide",
    "manage_benefits": "keep benefit profiles, measurements, maturity targets, objectives and risks",
}

ALL_DATASETS = tuple(DATASETS)
_OPERATIONAL = ("nominal", "custody", "crime", "missing", "vehicle", "stop_search")

ROLES: dict[str, dict[str, object]] = {
    "frontline_officer": {
        "title": "Frontline officer",
        "actions": ("check", "view_person", "view_record", "view_missing"),
        "datasets": _OPERATIONAL,
    },
    "control_room": {
        "title": "Control room operator",
        "actions": ("check", "view_person", "view_missing"),
        "datasets": ("nominal", "custody", "missing", "vehicle"),
    },
    "investigator": {
        "title": "Investigator",
        "actions": ("check", "search", "view_person", "view_record", "export", "review_matches", "manage_alerts",
                    "view_missing", "watch_lookups", "anpr", "search_documents"),
        "datasets": ALL_DATASETS,
    },
    "intelligence_analyst": {
        "title": "Intelligence analyst",
        "actions": ("search", "view_person", "view_record", "export", "review_matches", "anpr", "search_documents"),
        "datasets": ALL_DATASETS,
    },
    "offender_manager": {
        "title": "Offender manager",
        "actions": ("check", "view_person", "view_record", "manage_alerts"),
        "datasets": ("nominal", "custody", "crime", "case", "vehicle"),
    },
    "missing_persons_coordinator": {
        "title": "Missing-persons coordinator",
        "actions": ("check", "search", "view_person", "view_record", "view_missing", "manage_missing",
                    "manage_alerts"),
        "datasets": ("nominal", "missing", "custody", "vehicle"),
    },
    "force_data_manager": {
        "title": "Force data manager",
        "actions": ("view_record", "search", "view_data_quality", "manage_quarantine", "review_matches",
                    "review_retention", "view_restricted", "view_office", "assess_maturity",
                    "request_commissioning"),
        "datasets": ("nominal", "custody", "crime", "missing", "vehicle", "stop_search", "case", "property"),
    },
    "national_data_office_analyst": {
        "title": "National data office analyst",
        "actions": ("view_data_quality", "view_reports", "view_office", "assess_maturity", "request_commissioning",
                    "decide_commissioning", "manage_benefits"),
        "datasets": (),  # aggregates only: no personal records
    },
    "data_protection_officer": {
        "title": "Data protection officer (data subjects' rights, retention, erasure)",
        "actions": ("view_record", "review_retention", "manage_rights", "view_restricted", "approve_sharing"),
        "datasets": ALL_DATASETS,
    },
    "auditor": {
        "title": "Auditor / data protection officer",
        "actions": ("view_audit",),
        "datasets": (),
    },
    "system_admin": {
        "title": "System administrator",
        "actions": ("manage_users", "manage_quarantine"),
        "datasets": (),
    },
}

# The highest handling classification each vetting level may see.
VETTING: dict[str, str] = {
    "RV": "OFFICIAL",  # recruitment vetting
    "NPPV1": "OFFICIAL",  # non-police personnel vetting, level 1
    "NPPV2": "OFFICIAL-SENSITIVE",
    "NPPV3": "SECRET",
    "SC": "SECRET",  # security check
    "MV": "SECRET",  # management vetting
    "DV": "SECRET",  # developed vetting
}


def handlings_for(vetting: str) -> tuple[str, ...]:
    top = HANDLING_ORDER.index(VETTING[vetting])
    return HANDLING_ORDER[: top + 1]


# A record is visible outside its own force only when shared nationally.  An
# updategram may say so (record.sharing); otherwise the dataset decides.
FORCE_ONLY_DATASETS = ("intelligence",)

# Fields removed from a record's data before a role sees it.  A missing person's circumstances and
# vulnerabilities are for the coordinators who manage the episode and the investigators who look for them.
_MISSING_SENSITIVE = ("circumstances", "vulnerabilities")
REDACTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "control_room": {
        "person": ("ethnicity_officer", "marks", "cro_number"),
        "marker": ("detail",),
        "event": ("description",),
        "missing_episode": _MISSING_SENSITIVE,
    },
    "frontline_officer": {
        "event": ("description",),  # the summary page shows kind and date; the narrative needs view_record
        "missing_episode": _MISSING_SENSITIVE,
    },
    "offender_manager": {
        "person": ("ethnicity_officer",),
        "missing_episode": _MISSING_SENSITIVE,
    },
    "intelligence_analyst": {"missing_episode": _MISSING_SENSITIVE},
    "force_data_manager": {"missing_episode": _MISSING_SENSITIVE},
    "missing_persons_coordinator": {
        "person": ("ethnicity_officer",),
    },
}

# Reasons for a look-up, required on every check, search and record view.
PURPOSES: dict[str, dict[str, object]] = {
    "incident_response": {"label": "Incident response", "needs_text": False},
    "investigation": {"label": "Investigation", "needs_text": True},  # the crime or case reference
    "intelligence_development": {"label": "Intelligence development", "needs_text": True},
    "safeguarding": {"label": "Safeguarding", "needs_text": False},
    "missing_person_enquiry": {"label": "Missing person enquiry", "needs_text": False},
    "vetting": {"label": "Vetting", "needs_text": True},
    "data_quality": {"label": "Data quality", "needs_text": False},
    "audit": {"label": "Audit", "needs_text": False},
    "data_protection": {"label": "Data protection (retention review, a data subject's request)", "needs_text": False},
}
# Purposes only the service itself may state.
SYSTEM_PURPOSES: dict[str, str] = {
    "system_maintenance": "system maintenance (rebuild, migration, digest)",
    "data_matching": "entity resolution across forces and systems",
    "alerting": "matching changes against alert subscriptions",
    "missing_register": "the missing-persons register's operator reports and timers",
    "subject_access": "compiling a data subject's access pack (DPA 2018 s45), disclosed to the subject",
    "retention": "retention review, disposal and lawful erasure (DPA 2018 s47, MoPI)",
    "data_sharing": "an export under an approved data sharing agreement, limited to what it allows",
    "open_data": "publishing open data (data.police.uk formats) with disclosure control",
}
