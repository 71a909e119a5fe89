"""What a clinician downloads: Ask 3 question lists and flags in the CSV and in the FHIR
Bundle, a language code another system understands, the FHIR version said the same way by
the file, the page and the README, and cells a spreadsheet cannot run as formulas."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

from fhir.resources.R4B.bundle import Bundle

from bot.decisions.summary import QuestionList
from bot.portal.exports import csv_text, language_coding, safe_cell
from bot.portal.lead import _csv
from bot.store import ask3
from bot.store.db import unit_of_work
from tests.portal.support import login, make_staff, seed_patient
from tests.support import TestClient

README = Path(__file__).resolve().parents[2] / "README.md"


def _with_a_question_list(database_url: str) -> int:
    clinician = make_staff(database_url, "nurse@example.nhs.uk", "clinician")
    person_id = seed_patient(database_url, clinician, "web-ask3")
    with unit_of_work(database_url) as session:
        saved = ask3.save_list(
            session,
            "web-ask3",
            QuestionList(
                decision="Knee replacement or physio",
                options="surgery, exercises",
                questions={"options": "Can I wait?", "benefits_risks": "=1+2", "likelihood": ""},
                own_questions=["How long is recovery?"],
                matters="Walking the dog",
                appointment_on=date(2026, 1, 5),
            ),
            "en",
        )
        ask3.save_follow_up(session, "web-ask3", saved.id, "partly", "not yet", 7)
    return person_id


async def test_the_csv_carries_the_question_list_and_the_flag(
    client: TestClient, database_url: str
) -> None:
    person_id = _with_a_question_list(database_url)
    assert await login(client, "nurse@example.nhs.uk") == 303
    text = await (await client.get(f"/portal/patients/{person_id}/export.csv")).text()
    rows = list(csv.DictReader(io.StringIO(text)))
    asked = [r for r in rows if r["record"].startswith("ask3")]
    shown = " ".join(f"{r['what']} {r['value']} {r['detail']}" for r in asked)
    for words in ("Knee replacement or physio", "Can I wait?", "How long is recovery?",
                  "Walking the dog", "2026-01-05", "partly"):  # fmt: skip
        assert words in shown, words
    assert "'=1+2" in shown  # the patient's own '=1+2' cannot run in a spreadsheet
    [flag] = [r for r in rows if r["record"] == "flag"]
    assert flag["value"] == "open" and "Chest pain" in flag["detail"]


async def test_the_fhir_bundle_has_flags_the_question_list_and_a_bcp47_language(
    client: TestClient, database_url: str
) -> None:
    person_id = _with_a_question_list(database_url)
    assert await login(client, "nurse@example.nhs.uk") == 303
    response = await client.get(f"/portal/patients/{person_id}/fhir.json")
    assert response.headers["Content-Type"].startswith("application/fhir+json")
    assert "fhirVersion=4.3" in response.headers["Content-Type"]
    bundle = json.loads(await response.text())
    Bundle.model_validate(bundle)
    resources = [e["resource"] for e in bundle["entry"]]
    [patient] = [r for r in resources if r["resourceType"] == "Patient"]
    [coding] = patient["communication"][0]["language"]["coding"]
    assert coding == {"system": "urn:ietf:bcp:47", "code": "en-GB", "display": "English"}
    [flag] = [r for r in resources if r["resourceType"] == "Flag"]
    assert flag["status"] == "active"
    assert flag["code"]["text"] == "Chest pain, urgent (same day)"
    assert flag["subject"] == {"reference": bundle["entry"][0]["fullUrl"]}
    answers = [
        r for r in resources
        if r["resourceType"] == "QuestionnaireResponse" and "ask3" in r["questionnaire"]
    ]  # fmt: skip
    texts = json.dumps(answers)
    for words in ("Knee replacement or physio", "Can I wait?", "How long is recovery?",
                  "Walking the dog", "partly"):  # fmt: skip
        assert words in texts, words


def test_welsh_speakers_are_cy_gb() -> None:
    assert language_coding("cy")["coding"][0]["code"] == "cy-GB"
    assert language_coding("en")["coding"][0]["code"] == "en-GB"


def test_the_readme_and_the_page_name_the_fhir_version_the_code_validates() -> None:
    readme = README.read_text(encoding="utf-8")
    assert "FHIR R4B (4.3.0)" in readme
    assert "FHIR R4 " not in readme and "FHIR R4\n" not in readme
    page = (Path(__file__).resolve().parents[2] / "bot/portal/templates/patient.html").read_text()
    assert "Download FHIR R4B" in page


def test_formula_cells_are_neutralised_in_comma_and_semicolon_locales() -> None:
    semicolon = "ok;=cmd|' /C calc'!A0"
    assert safe_cell(semicolon) == "ok;'=cmd|' /C calc'!A0"
    for classic in ("=1+2", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert safe_cell(classic).startswith("'"), classic
    assert safe_cell("a,=1") == "a,'=1"
    assert safe_cell("a\t+1") == "a\t'+1"
    assert safe_cell("walk 10 minutes") == "walk 10 minutes"
    text = csv_text(["what"], [[semicolon]])
    # The cell is quoted, so a semicolon locale reads it as one cell that starts with "o".
    assert text.splitlines()[1] == "\"ok;'=cmd|' /C calc'!A0\""
    for line in text.splitlines()[1:]:
        for separated in line.replace('"', "").replace(";", ",").split(","):
            assert separated[:1] not in ("=", "+", "-", "@"), separated


def test_the_lead_csv_neutralises_a_semicolon_formula() -> None:
    text = _csv([["suggestion"], ["fine;=HYPERLINK(1)"]])
    assert "fine;'=HYPERLINK(1)" in text and '"' in text.splitlines()[1]
