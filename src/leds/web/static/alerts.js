// Live alerts: the unread count in the menu on every page, and new rows on the alerts
// page, from the server-sent events of /api/v1/alerts/stream (same origin, session cookie).
const count = document.getElementById("app-alerts-count");
const rows = document.getElementById("app-alerts-rows");
if (count && window.EventSource) {
  const list = document.getElementById("app-alerts-list");
  const after = list ? list.dataset.newest : "";
  const source = new EventSource("/api/v1/alerts/stream" + (after ? "?after=" + after : ""));
  source.addEventListener("unread", (e) => {
    count.textContent = e.data;
  });
  source.addEventListener("alert", (e) => {
    if (!rows) return;
    const a = JSON.parse(e.data);
    if (rows.querySelector(`[data-alert-id="${a.id}"]`)) return;
    const tr = document.createElement("tr");
    tr.className = "govuk-table__row";
    tr.dataset.alertId = a.id;
    const what = a.kind === "digest" ? `digest: ${a.detail.folded} more changes`
      : a.kind === "lookup" ? `lookup: looked up by ${a.detail.looked_up_by}`
      : a.detail.rtype ? `${a.kind}: ${a.detail.rtype} ${a.detail.change}` : a.kind;
    for (const text of [a.at.slice(0, 19).replace("T", " "), what, a.person_id || "", a.rkey || ""]) {
      const td = document.createElement("td");
      td.className = "govuk-table__cell";
      td.textContent = text;
      tr.appendChild(td);
    }
    rows.prepend(tr);
    const empty = document.getElementById("app-alerts-empty");
    if (empty) empty.remove();
  });
}
