"""Ask 3 through the real engine, action server and gateway (and its scheduler), in English
and Welsh: preparing for an appointment, the option grid, the printable list, the follow-up,
and rehearsal."""

from __future__ import annotations

import time as clock
import urllib.request
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.content.calendar import date_in_words
from bot.conversation import content as conversation
from bot.decisions import content
from bot.stack import LocalStack
from bot.store import ask3, people
from bot.store.db import unit_of_work
from bot.store.models import Ask3Rehearsal, ScheduledMessage, utcnow
from tests.support import WebChat, http_json, payloads, said, texts

pytestmark = pytest.mark.engine


def has(messages: list[dict[str, Any]], key: str, language: str = "en", **values: Any) -> bool:
    """Whether the reply holds the Ask 3 reply `key` (from data/content/ask3.yml)."""
    wanted = " ".join(content.text(key, language, **values).split())
    return any(" ".join(str(m.get("text", "")).split()) == wanted for m in messages)


def consented(stack: LocalStack, language: str = "en") -> WebChat:
    chat = WebChat(stack.gateway_url, language=language).start()
    chat.say("hello" if language == "en" else "shwmae")
    chat.say("/affirm")
    return chat


def person_id(stack: LocalStack, sender_id: str) -> int:
    with unit_of_work(stack.database_url) as session:
        person = people.find_person(session, sender_id)
        assert person is not None
        return person.id


def lists(stack: LocalStack, sender_id: str) -> list[ask3.ListView]:
    with unit_of_work(stack.database_url) as session:
        return ask3.lists_for_person(session, person_id(stack, sender_id))


def test_preparing_for_an_appointment_in_english(live_stack: LocalStack) -> None:
    chat = consented(live_stack)
    reply = chat.say("my doctor says I could have surgery or physio")
    assert has(reply, "intro") and has(reply, "ask_decision")
    assert "welcome these questions" in texts(reply)
    assert has(chat.say("whether to have a knee replacement"), "ask_options")
    assert has(chat.say("physio, an injection or a new knee"), "ask_date")
    reply = chat.say("some time soon")
    assert has(reply, "date_unclear") and has(reply, "ask_date")
    when = date.today() + timedelta(days=3)
    assert has(chat.say(when.strftime("%d/%m/%Y")), "ask_q_options")
    assert has(chat.say("What else could I do instead?"), "ask_q_benefits")
    assert has(chat.say("/affirm"), "ask_q_likelihood")  # "use these words"
    assert has(chat.say("How often do the risks happen to people like me?"), "ask_own")
    assert has(chat.say("How long would I be off work?\nCan I still drive?"), "ask_matters")
    done = chat.say("getting back to my garden")

    summary = texts(done)
    assert summary.startswith(content.text("summary_title", "en"))
    for expected in (
        "The decision: whether to have a knee replacement",
        "Options I know of: physio, an injection or a new knee",
        "• What else could I do instead?",
        "• What are the possible benefits and risks of those options?",
        "• How often do the risks happen to people like me?",
        "• How long would I be off work?",
        "• Can I still drive?",
        "What matters most to me: getting back to my garden",
    ):
        assert expected in summary
    assert has(done, "summary_saved") and has(done, "summary_follow_up")
    printable = next(m["ask3_summary"] for m in done if "ask3_summary" in m)
    assert printable["label"] == content.text("summary_print", "en")
    assert has(done, "offer_grid", title="Osteoarthritis of the knee", grid="knee-osteoarthritis")

    # Stored for the clinician, with the follow-up planned for the day after.
    [saved] = lists(live_stack, chat.sender_id)
    assert saved.id == printable["list_id"]
    assert saved.summary.questions["options"] == "What else could I do instead?"
    assert saved.summary.own_questions == ["How long would I be off work?", "Can I still drive?"]
    assert saved.summary.appointment_on == when
    assert saved.summary.grid_id == "knee-osteoarthritis"

    # The grid, offered by its button.
    show = next(p for p in payloads(done) if p.startswith("/show_option_grid"))
    shown = chat.say(show)
    grid = next(m["option_grid"] for m in shown if "option_grid" in m)
    assert grid["options"] == [
        "Exercise and physiotherapy",
        "Steroid injection",
        "Knee replacement",
    ]
    assert len(grid["rows"]) == 5 and all(len(r["answers"]) == 3 for r in grid["rows"])
    assert grid["questions_label"] == content.text("grid_questions_label", "en")
    assert "clinical review" in texts(shown)

    # The printable page: a short-lived link of its own, made only for the person's own list.
    status, made = http_json(
        "POST", f"{live_stack.gateway_url}/api/ask3/print-links", {"list": saved.id}, chat.token
    )
    assert status == 201 and chat.token not in made["url"]
    with urllib.request.urlopen(f"{live_stack.gateway_url}{made['url']}") as page:  # noqa: S310
        html = page.read().decode()
    assert "My questions for my appointment" in html and "Can I still drive?" in html
    assert date_in_words(when, "en") in html
    other = WebChat(live_stack.gateway_url).start()
    status, _ = http_json(
        "POST", f"{live_stack.gateway_url}/api/ask3/print-links", {"list": saved.id}, other.token
    )
    assert status == 404


def test_the_follow_up_is_sent_by_the_scheduler_and_stored(live_stack: LocalStack) -> None:
    chat = consented(live_stack)
    chat.say("/start_ask3")
    chat.say("knee operation or physio")
    chat.say("/deny")
    chat.say("tomorrow")
    for _ in range(5):
        chat.say("/affirm" if _ < 3 else "/deny")
    with unit_of_work(live_stack.database_url) as session:
        session.execute(
            update(ScheduledMessage)
            .where(
                ScheduledMessage.person_id == person_id(live_stack, chat.sender_id),
                ScheduledMessage.kind == ask3.FOLLOW_UP_KIND,
            )
            .values(due_at=utcnow() - timedelta(minutes=1), quiet_ok=True)
        )
    deadline = clock.monotonic() + 90  # the gateway's scheduler runs every 30 s
    status = "pending"
    while status == "pending" and clock.monotonic() < deadline:
        clock.sleep(1)
        with unit_of_work(live_stack.database_url) as session:
            status = session.scalars(
                select(ScheduledMessage.status).where(
                    ScheduledMessage.person_id == person_id(live_stack, chat.sender_id),
                    ScheduledMessage.kind == ask3.FOLLOW_UP_KIND,
                )
            ).one()
    assert status == "sent"
    visit = chat.say("hello")
    assert "/ask3_followup" in payloads(visit)
    assert has(chat.say("/ask3_followup"), "ask_fu_answers")
    assert has(chat.say("some of them"), "ask_fu_decision")
    assert has(chat.say("physio first, then see"), "ask_fu_involvement")
    assert has(chat.say("eleven"), "rating_invalid")
    assert has(chat.say("8"), "followup_thanks")
    [saved] = lists(live_stack, chat.sender_id)
    [follow_up] = saved.follow_ups
    assert (follow_up.got_answers, follow_up.decided, follow_up.involvement) == (
        "partly",
        "physio first, then see",
        8,
    )


def test_welsh_preparation_with_buttons_and_a_grid(live_stack: LocalStack) -> None:
    chat = consented(live_stack, "cy")
    reply = chat.say("mae'n rhaid i mi benderfynu am fy nhriniaeth")
    assert has(reply, "intro", "cy") and has(reply, "ask_decision", "cy")
    assert has(chat.say("lwmpectomi neu fastectomi"), "ask_options", "cy")
    assert has(chat.say("/deny"), "ask_date", "cy")
    assert has(chat.say("/deny"), "ask_q_options", "cy")
    for _ in range(3):
        chat.say("/affirm")
    assert has(chat.say("/deny"), "ask_matters", "cy")
    done = chat.say("cadw fy mron os yw'n ddiogel")
    assert content.text("summary_title", "cy") in texts(done)
    assert "• Beth yw fy opsiynau?" in texts(done)
    assert "Ddim yn siŵr eto" in texts(done)
    assert not has(done, "summary_follow_up", "cy")  # no date, no follow-up
    grid_button = next(p for p in payloads(done) if p.startswith("/show_option_grid"))
    grid = next(m["option_grid"] for m in chat.say(grid_button) if "option_grid" in m)
    assert grid["title"] == "Llawdriniaeth canser y fron" and grid["language"] == "cy"
    [saved] = lists(live_stack, chat.sender_id)
    assert saved.language == "cy" and saved.summary.questions["likelihood"] == (
        content.question("likelihood").text.cy
    )


def stopped(reply: list[dict[str, Any]]) -> bool:
    """The reply to stopping a dialogue (issue 17: its place is kept to carry on later)."""
    wanted = conversation.reply("stopped", "en", activity="{activity}")["text"]
    before, _, after = wanted.partition("{activity}")
    return any(m["text"].startswith(before) and m["text"].endswith(after) for m in reply)


def test_cancel_leaves_the_form_and_nothing_is_stored(live_stack: LocalStack) -> None:
    chat = consented(live_stack)
    chat.say("/start_ask3")
    chat.say("hip operation")
    assert stopped(chat.say("cancel"))
    assert lists(live_stack, chat.sender_id) == []
    assert said(chat.say("/help"), "utter_help")


def test_stop_typed_mid_form_leaves_it_and_is_not_taken_as_an_answer(
    live_stack: LocalStack,
) -> None:
    chat = consented(live_stack)
    chat.say("/start_ask3")
    chat.say("knee operation")
    assert stopped(chat.say("stop"))
    assert lists(live_stack, chat.sender_id) == []
    with unit_of_work(live_stack.database_url) as session:
        person = people.find_person(session, chat.sender_id)
        assert person is not None and person.consent == people.CONSENT_GIVEN
    chat.say('/start_ask3_rehearsal{"ask3_scenario":"knee"}')
    assert stopped(chat.say("stopio"))


def _rehearsals(stack: LocalStack, sender_id: str) -> list[Ask3Rehearsal]:
    with unit_of_work(stack.database_url) as session:
        found = list(
            session.scalars(
                select(Ask3Rehearsal).where(Ask3Rehearsal.person_id == person_id(stack, sender_id))
            )
        )
        session.expunge_all()
        return found


def test_a_rehearsal_where_the_patient_asks_none_of_the_questions(live_stack: LocalStack) -> None:
    chat = consented(live_stack)
    opening = chat.say("/start_ask3_rehearsal")
    knee = content.find_scenario("knee")
    assert knee.opening.en in texts(opening)
    assert has(opening, "rehearsal_first")
    reply = chat.say("ok")
    assert has(reply, "rehearsal_other") and has(reply, "rehearsal_more")
    end = chat.say("/affirm")
    assert has(end, "rehearsal_asked_none")
    add = next(m["text"] for m in end if m["text"].startswith("Next time you might also ask"))
    for question in content.questions():
        assert question.text.en in add
    [stored] = _rehearsals(live_stack, chat.sender_id)
    assert (stored.scenario, stored.asked, stored.turns) == ("knee", [], 1)


def test_a_rehearsal_where_the_patient_asks_two_questions(live_stack: LocalStack) -> None:
    chat = consented(live_stack)
    opening = chat.say('/start_ask3_rehearsal{"ask3_scenario":"breast"}')
    breast = content.find_scenario("breast")
    assert breast.opening.en in texts(opening)
    assert breast.answers["options"].en in texts(chat.say("What choices do I have?"))
    assert breast.answers["benefits_risks"].en in texts(chat.say("what could go wrong?"))
    end = chat.say("that's all")
    assert "You asked:\n• What are my options?" in texts(end)
    assert "might also ask:\n• How likely are the benefits" in texts(end)
    [stored] = _rehearsals(live_stack, chat.sender_id)
    assert stored.asked == ["benefits_risks", "options"]
    assert stored.evidence["options"] and stored.turns == 2


def test_a_welsh_rehearsal(live_stack: LocalStack) -> None:
    chat = consented(live_stack, "cy")
    opening = chat.say("ymarfer gofyn cwestiynau")
    assert content.find_scenario("knee").opening.cy in texts(opening)
    assert content.find_scenario("knee").answers["likelihood"].cy in texts(
        chat.say("Beth yw'r siawns?")
    )
    end = chat.say("wedi gorffen")
    likelihood = f"• {content.question('likelihood').text.cy}"
    assert has(end, "rehearsal_asked", "cy", questions=likelihood)
    assert likelihood not in next(m["text"] for m in end if m["text"].startswith("Y tro nesaf"))
    assert has(end, "rehearsal_end", "cy")
