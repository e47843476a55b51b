"""hub/policy.py's conversation and call rules as a table, each refusal with its id, status and
details written out by hand (mutation testing found the details never asserted and no case of a
supervisor answering the shared queue)."""

from __future__ import annotations

import pytest

from hub.auth import Principal
from hub.models import Call, Conversation, Role
from hub.policy import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    RobotActor,
    SystemActor,
    Unavailable,
    ensure_can_assign,
    ensure_can_hand_over,
    ensure_can_transfer_call,
    ensure_can_write,
    ensure_offered_to,
    is_supervisor,
    takes_on_reply,
)

ANNA = Principal(11, "anna", "Анна", Role.operator, "ru")
BORIS = Principal(12, "boris", "Борис", Role.operator, "ru")
SVETA = Principal(21, "sveta", "Света", Role.supervisor, "ru")
ADMIN = Principal(31, "admin", "Админ", Role.admin, "ru")
ROBOT = RobotActor(5, "SLA")


def conversation(assignee_id: int | None) -> Conversation:
    return Conversation(id=7, assignee_id=assignee_id)


def refusal(error: pytest.ExceptionInfo[DomainError]) -> tuple[str, int, object]:
    return error.value.error_id, error.value.status, error.value.details


def test_error_kinds_carry_their_status_and_render_id_message_details() -> None:
    assert NotFound("x", "m").status == 404
    assert Forbidden("x", "m").status == 403
    assert Conflict("x", "m").status == 409
    assert Unavailable("x", "m").status == 503
    error = Conflict("stale", "Changed meanwhile.", {"version": 3})
    assert error.to_json() == {
        "id": "stale",
        "message": "Changed meanwhile.",
        "details": {"version": 3},
    }
    assert str(error) == "Changed meanwhile."


@pytest.mark.parametrize(
    ("actor", "expected"),
    [(ANNA, False), (SVETA, True), (ADMIN, True), (ROBOT, True), (SystemActor(), True)],
)
def test_supervisors_admins_robots_and_the_system_act_on_any_work(
    actor: Principal | RobotActor | SystemActor, expected: bool
) -> None:
    assert is_supervisor(actor) is expected


def test_an_operator_writes_in_his_own_and_in_the_shared_queue_not_in_a_colleagues() -> None:
    ensure_can_write(ANNA, conversation(11))
    ensure_can_write(ANNA, conversation(None))
    ensure_can_write(SVETA, conversation(12))
    with pytest.raises(DomainError) as error:
        ensure_can_write(ANNA, conversation(12))
    assert refusal(error) == (
        "not-your-conversation",
        403,
        {"conversation_id": 7, "assignee_id": 12},
    )


def test_a_reply_in_the_shared_queue_takes_it_for_an_operator_but_not_for_a_supervisor() -> None:
    assert takes_on_reply(ANNA, conversation(None)) is True
    assert takes_on_reply(SVETA, conversation(None)) is False
    assert takes_on_reply(ROBOT, conversation(None)) is False
    assert takes_on_reply(ANNA, conversation(11)) is False


def test_only_the_holder_or_a_supervisor_hands_a_conversation_over() -> None:
    ensure_can_hand_over(ANNA, conversation(11))
    ensure_can_hand_over(SVETA, conversation(None))
    for assignee in (None, 12):
        with pytest.raises(DomainError) as error:
            ensure_can_hand_over(ANNA, conversation(assignee))
        assert refusal(error) == ("forbidden", 403, {"conversation_id": 7})


def test_assigning_follows_the_same_rules() -> None:
    ensure_can_assign(ANNA, conversation(None), 11)  # takes it from the queue
    ensure_can_assign(ANNA, conversation(11), None)  # gives his own back
    ensure_can_assign(ANNA, conversation(11), 12)  # hands his own to a colleague
    ensure_can_assign(SVETA, conversation(12), 11)
    with pytest.raises(DomainError) as error:
        ensure_can_assign(ANNA, conversation(None), 12)  # the queue's: a supervisor's call
    assert refusal(error) == ("forbidden", 403, {"conversation_id": 7})
    with pytest.raises(DomainError) as error:
        ensure_can_assign(ANNA, conversation(12), None)  # a colleague's back to the queue
    assert refusal(error) == (
        "not-your-conversation",
        403,
        {"conversation_id": 7, "assignee_id": 12},
    )


def test_accepting_is_the_offered_operators_own_step() -> None:
    ensure_offered_to(ANNA, conversation(11))
    with pytest.raises(DomainError) as error:
        ensure_offered_to(BORIS, conversation(11))
    assert refusal(error) == ("not-offered-to-you", 409, None)


def test_a_call_is_transferred_by_whoever_is_on_it_or_a_supervisor() -> None:
    call = Call(answered_by_extension="101", transferred_to="102", answered_by_user_id=11)
    ensure_can_transfer_call(BORIS, call, "101")
    ensure_can_transfer_call(BORIS, call, "102")
    ensure_can_transfer_call(ANNA, call, None)  # its answerer, without an extension here
    ensure_can_transfer_call(SVETA, call, None)
    ensure_can_transfer_call(ROBOT, call, None)
    for extension in (None, "103"):
        with pytest.raises(DomainError) as error:
            ensure_can_transfer_call(BORIS, call, extension)
        assert refusal(error) == ("not-your-call", 403, None)
