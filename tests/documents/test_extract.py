"""The readers: HTML, chat exports (CSV, JSON), Word, Excel, zip members."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from leds.documents.extract import Unreadable, read


def test_html_drops_scripts_and_keeps_the_title() -> None:
    item = read("page.html", b"<html><head><title>Ledger</title><script>var x=1</script></head>"
                             b"<body><p>Cash via the <b>nail bar</b></p></body></html>")
    assert item.title == "Ledger"
    assert item.text == "Cash via the nail bar"


def test_chat_exports_in_csv_and_json_become_one_line_per_message() -> None:
    csv_item = read("chat.csv", b"timestamp,sender,message\n2025-01-02 10:00,Kyle,got the parcel\n")
    assert csv_item.text == "[2025-01-02 10:00] Kyle: got the parcel"
    assert csv_item.doc_date == "2025-01-02"
    js = json.dumps({"messages": [{"date": "2025-02-03T09:00", "from": "Dean", "text": "on my way"}]}).encode()
    assert read("export.json", js).text == "[2025-02-03T09:00] Dean: on my way"
    with pytest.raises(Unreadable) as exc:
        read("other.json", b'{"a": 1}')
    assert exc.value.reason == "unsupported"


def test_word_and_excel_files_are_read() -> None:
    import docx
    import openpyxl

    d = docx.Document()
    d.add_paragraph("Invoices for work that was never done")
    buf = io.BytesIO()
    d.save(buf)
    assert "never done" in read("ledger.docx", buf.getvalue()).text
    wb = openpyxl.Workbook()
    wb.active.append(["date", "amount"])
    wb.active.append(["2025-01-01", 9500])
    buf = io.BytesIO()
    wb.save(buf)
    assert "9500" in read("sums.xlsx", buf.getvalue()).text


def test_a_zip_archive_s_members_are_its_children_and_a_bad_member_is_listed() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "first note")
        z.writestr("b.pdf", "not a pdf")
    item = read("seized.zip", buf.getvalue())
    assert [c.name for c in item.children] == ["a.txt"]
    assert [(n, e.reason) for n, e in item.failures] == [("b.pdf", "corrupt")]
