"""The keys of the subscription index (``alert_keys``).

A subscription is filed under one or more keys; a change is looked up under the keys it
touches, so evaluation is an index look-up whatever the number of subscriptions:

* ``pid:NP-...`` a national person id, ``rec:<person record key>`` each of its records
  when subscribed (and each record found in it since): a merge or a split leaves the
  subscription on every record it followed, and so on the person or persons they now form;
* ``veh:<vrm key>`` a vehicle, by the confusable key of its registration mark;
* ``rule:marker:<code>``, ``rule:event:<kind>``, ``rule:link:<role>``, ``rule:type:<type>``;
* ``srch:fam:<SURNAME>``, ``srch:pnc:<PNC ID>``, ``srch:dob:<date>`` (saved searches);
* ``watch:pid:...``, ``watch:rec:...`` look-ups of a watched person (read by the watch follower).
"""

from __future__ import annotations

from typing import Any

from leds.search.keys import vrm_key


def rule_key(rule: dict[str, Any]) -> str:
    if rule.get("type") == "marker" and rule.get("marker"):
        return f"rule:marker:{rule['marker']}"
    if rule.get("event_kind"):
        return f"rule:event:{rule['event_kind']}"
    if rule.get("link_role"):
        return f"rule:link:{rule['link_role']}"
    return f"rule:type:{rule['type']}"


def search_key(search: dict[str, Any]) -> str:
    if search.get("pnc_id"):
        return f"srch:pnc:{search['pnc_id']}"
    if search.get("surname"):
        return f"srch:fam:{norm_name(search['surname'])}"
    return f"srch:dob:{search['dob']}"


def norm_name(name: str) -> str:
    return " ".join(name.upper().split())


def vehicle_key(vrm: str) -> str:
    return f"veh:{vrm_key(vrm)}"


def person_keys(person_id: str, members: list[str], prefix: str = "") -> list[str]:
    keys = [f"{prefix}rec:{m}" for m in members]
    if person_id.startswith("NP-"):
        keys.append(f"{prefix}pid:{person_id}")
    return keys


def change_rule_keys(rtype: str, data: dict[str, Any] | None) -> list[str]:
    """The rule keys a record of this type and data touches."""
    out = [f"rule:type:{rtype}"]
    d = data or {}
    if rtype == "marker" and d.get("code"):
        out.append(f"rule:marker:{d['code']}")
    elif rtype == "event" and d.get("kind"):
        out.append(f"rule:event:{d['kind']}")
    elif rtype == "link" and d.get("role"):
        out.append(f"rule:link:{d['role']}")
    return out


def change_search_keys(data: dict[str, Any] | None) -> list[str]:
    d = data or {}
    out = [f"srch:fam:{norm_name(n['family'])}" for n in d.get("names") or [] if n.get("family")]
    if d.get("pnc_id"):
        out.append(f"srch:pnc:{d['pnc_id']}")
    out += [f"srch:dob:{b}" for b in d.get("birth_dates") or []]
    return list(dict.fromkeys(out))
