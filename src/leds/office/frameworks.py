"""The frameworks shipped with leds, as data (others are imported: ``leds maturity framework
FILE.json`` or ``POST /api/v1/maturity/frameworks``).

* ``force-data-strategy``: the 0-5 scale of a force data strategy's maturity assessment
  (Unaware, Aware, Reactive, Proactive, Managed, Optimised), over the strategy's four
  objectives (platforms, processes, people, potential) and four themes.
* ``cddo-dma``: shaped like the UK Government's Data Maturity Assessment (CDDO, 2023): ten
  topics across six themes, five levels, no single score.  Its questions here are a short
  set written for policing, not the 97 of the published assessment.
"""

from __future__ import annotations

from typing import Any

_FDS_SCALE = [
    (0, "Unaware", "The organisation has no understanding of the relevance or importance of this element."),
    (1, "Aware", "Few processes other than those required by legal demands or regulation exist; ad hoc efforts "
                 "with very low levels of trust."),
    (2, "Reactive", "Some processes are emerging, not monitored and regularly worked around; data quality checks "
                    "are ad hoc; standards emerge in response to an issue."),
    (3, "Proactive", "Processes developed with limited authority; a more consistent cross-functional approach to "
                     "data management has started and governance of data begins to emerge."),
    (4, "Managed", "Information governance is in place and functions at enterprise level; stewards and champions "
                   "work together; continuous data improvement is evident."),
    (5, "Optimised", "The majority of information assets are inventoried; data is advocated across the business "
                     "and creates value internally and externally."),
]

_FDS_QUESTIONS = [
    ("platforms-governance", "platforms", "governance",
     "Are your data systems owned, with access controls and security reviewed at enterprise level?", None),
    ("platforms-quality", "platforms", "quality",
     "Do your systems reject or flag bad data at entry, and is what they reject followed up?", "quarantine_rate"),
    ("processes-governance", "processes", "governance",
     "Is data kept, reviewed and disposed of to a schedule (MoPI) that is monitored?", "retention_backlog"),
    ("processes-quality", "processes", "quality",
     "Is the data you record accurate, complete and timely, and is that measured?", "quality_score"),
    ("people-governance", "people", "governance",
     "Do officers and staff know their responsibilities for recording and handling data?", None),
    ("people-quality", "people", "quality",
     "Do people have the data literacy to judge the quality of the data they use?", None),
    ("potential-governance", "potential", "governance",
     "Are new data technologies (automation, AI) adopted under ethical and legal oversight?", None),
    ("potential-quality", "potential", "quality",
     "Is data timely and trusted enough to support new analytical tools?", "timeliness"),
]

FORCE_DATA_STRATEGY: dict[str, Any] = {
    "id": "force-data-strategy",
    "version": 1,
    "title": "Force data strategy maturity (0-5)",
    "source": "A force data strategy's data maturity assessment (Appendix B): targets 'proactive' by 2028, "
              "'managed' by 2030 across all areas.",
    "scale": [{"level": n, "name": name, "descriptor": d} for n, name, d in _FDS_SCALE],
    "topics": [{"id": "platforms", "title": "Our platforms: safe and secure data systems"},
               {"id": "processes", "title": "Our processes: high quality and accessible data"},
               {"id": "people", "title": "Our people: data culture and skills"},
               {"id": "potential", "title": "Our potential: emerging data technology"}],
    "themes": [{"id": "governance", "title": "Governance"}, {"id": "quality", "title": "Quality"}],
    "questions": [{"id": q, "topic": t, "theme": th, "text": text, "levels": {}, "leds_evidence": ev}
                  for q, t, th, text, ev in _FDS_QUESTIONS],
}

_CDDO_SCALE = [
    (1, "Beginning", "Little or no awareness; practice is ad hoc and depends on individuals."),
    (2, "Emerging", "Awareness is growing; some practice exists but is inconsistent."),
    (3, "Learning", "Practice is defined and followed in parts of the organisation."),
    (4, "Developing", "Practice is consistent, measured and improving across the organisation."),
    (5, "Mastering", "Practice is embedded, optimised and shared with others as good practice."),
]
_CDDO_THEMES = [("uses", "Uses"), ("data", "Data"), ("leadership", "Leadership"), ("culture", "Culture"),
                ("tools", "Tools"), ("skills", "Skills")]
_CDDO_TOPICS = [
    ("engaging", "Engaging with others"), ("skills", "Having the right data skills and knowledge"),
    ("valuable", "Having valuable and appropriate data"), ("ethics", "Managing and using data ethically"),
    ("managing", "Managing your data"), ("protecting", "Protecting your data"),
    ("direction", "Setting your data direction"), ("responsibility", "Taking responsibility for data"),
    ("decisions", "Making decisions with data"), ("systems", "Having the right systems"),
]
_CDDO_QUESTIONS = [
    ("eng-partners", "engaging", "uses", "How well do you share data with partner agencies and other forces?", None),
    ("eng-public", "engaging", "culture", "How open are you with the public about how you use data?", None),
    ("skl-literacy", "skills", "skills", "How data literate are officers and staff?", None),
    ("skl-specialist", "skills", "skills", "Can you recruit and keep data specialists?", None),
    ("val-quality", "valuable", "data", "How do you know the data you hold is fit for its purposes?",
     "quality_score"),
    ("val-timely", "valuable", "data", "Is data recorded soon enough to be useful?", "timeliness"),
    ("eth-oversight", "ethics", "leadership", "Is the use of data overseen by an ethics process?", None),
    ("eth-bias", "ethics", "uses", "Do you check analytical products for bias?", None),
    ("man-standards", "managing", "data", "Do you record data to the national data standards?",
     "quarantine_rate"),
    ("man-lifecycle", "managing", "data", "Is data reviewed, retained and disposed of on schedule?",
     "retention_backlog"),
    ("pro-security", "protecting", "tools", "How well are systems and data protected from loss and misuse?", None),
    ("pro-audit", "protecting", "culture", "Is access audited and misuse acted upon?", None),
    ("dir-strategy", "direction", "leadership", "Do you have a data strategy with measurable objectives?", None),
    ("dir-investment", "direction", "leadership", "Are data investments prioritised against the strategy?", None),
    ("res-owners", "responsibility", "culture", "Does every information asset have an owner?", None),
    ("res-roles", "responsibility", "skills", "Are data roles (stewards, champions) defined and filled?", None),
    ("dec-insight", "decisions", "uses", "Are strategic decisions informed by data and analysis?", None),
    ("dec-performance", "decisions", "uses", "Is performance monitored with data in governance boards?", None),
    ("sys-integration", "systems", "tools", "Do your systems share data without manual re-keying?", None),
    ("sys-analytics", "systems", "tools", "Do analysts have the tools they need?", None),
]

CDDO_DMA: dict[str, Any] = {
    "id": "cddo-dma",
    "version": 1,
    "title": "Data Maturity Assessment (CDDO-style, policing)",
    "source": "Shaped like the UK Government's Data Maturity Assessment (CDDO, 2023): topics across six themes, "
              "five levels, no single score.",
    "scale": [{"level": n, "name": name, "descriptor": d} for n, name, d in _CDDO_SCALE],
    "topics": [{"id": i, "title": t} for i, t in _CDDO_TOPICS],
    "themes": [{"id": i, "title": t} for i, t in _CDDO_THEMES],
    "questions": [{"id": q, "topic": t, "theme": th, "text": text, "leds_evidence": ev,
                   "levels": {str(n): f"{name}: {d}" for n, name, d in _CDDO_SCALE}}
                  for q, t, th, text, ev in _CDDO_QUESTIONS],
}

BUILTIN: dict[str, dict[str, Any]] = {f["id"]: f for f in (FORCE_DATA_STRATEGY, CDDO_DMA)}
