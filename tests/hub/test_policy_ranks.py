"""hub/policy.py beyond conversations: files, the person behind an action, ranks for setting
things up, records, activities, absences and templates. A table of who may and who may not,
each refusal with its id, status, message and details written out by hand (the message is what
the API shows; mutation testing found none of these asserted)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub.auth import Principal
from hub.models import Call, Conversation, Role, User
from hub.policy import (
    Actor,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    RobotActor,
    SystemActor,
    Unavailable,
    already_closed,
    can_see_files,
    can_see_files_where,
    ensure_can_change_activity,
    ensure_can_clear_flags,
    ensure_can_configure_crm,
    ensure_can_edit_record,
    ensure_can_edit_template,
    ensure_can_hand_over,
    ensure_can_handle_personal_data,
    ensure_can_manage_absence,
    ensure_can_manage_accounts,
    ensure_can_manage_channels,
    ensure_can_manage_robots,
    ensure_can_manage_sla,
    ensure_can_manage_teams,
    ensure_can_merge_contacts,
    ensure_can_see_files,
    ensure_can_set_plans,
    ensure_can_set_routing,
    ensure_can_switch_user,
    ensure_can_transfer_call,
    ensure_can_write,
    ensure_contact_in_view,
    ensure_contact_visible,
    ensure_not_locking_out,
    ensure_offered_to,
    may_plan_for,
    on_the_call,
    person_of,
    stale_version,
    user_id_of,
)

ANNA = Principal(11, "anna", "Анна", Role.operator, "ru")
BORIS = Principal(12, "boris", "Борис", Role.operator, "ru")
SVETA = Principal(21, "sveta", "Света", Role.supervisor, "ru")
ADMIN = Principal(31, "admin", "Админ", Role.admin, "ru")
ROBOT = RobotActor(5, "SLA")
SYSTEM = SystemActor()
NOBODY: frozenset[int] = frozenset()


def refused(check: object, *args: object, **kwargs: object) -> tuple[str, int, str, object]:
    assert callable(check)
    with pytest.raises(DomainError) as error:
        check(*args, **kwargs)
    return error.value.error_id, error.value.status, error.value.message, error.value.details


@pytest.mark.parametrize(
    ("kind", "status"), [(NotFound, 404), (Forbidden, 403), (Conflict, 409), (Unavailable, 503)]
)
def test_every_error_kind_keeps_its_id_message_and_details(
    kind: type[NotFound | Forbidden | Conflict | Unavailable], status: int
) -> None:
    error = kind("some-id", "Some message.", {"k": 1})
    assert (error.error_id, error.status, error.message, error.details, str(error)) == (
        "some-id",
        status,
        "Some message.",
        {"k": 1},
        "Some message.",
    )
    assert kind("some-id", "Some message.").details is None


def test_invalid_input_lists_the_fields() -> None:
    problems = [{"field": "name", "location": "body", "type": "missing", "message": "Required."}]
    error = InvalidInput(problems)
    assert error.to_json() == {
        "id": "invalid-input",
        "message": "Some fields are not valid.",
        "details": problems,
    }
    assert error.status == 422


def test_files_are_opened_by_the_assignee_the_queue_and_supervisors() -> None:
    mine, queued, boris = (Conversation(id=7, assignee_id=a) for a in (11, None, 12))
    assert can_see_files(ANNA, mine) and can_see_files(ANNA, queued)
    assert not can_see_files(ANNA, boris)
    assert can_see_files(SVETA, boris)
    ensure_can_see_files(ANNA, mine)
    assert refused(ensure_can_see_files, ANNA, boris) == (
        "not-your-conversation",
        403,
        "This file belongs to a conversation assigned to someone else.",
        {"conversation_id": 7},
    )


def test_the_files_condition_in_sql_is_the_same_rule() -> None:
    where = can_see_files_where(ANNA).compile(compile_kwargs={"literal_binds": True})
    assert str(where) == ("conversations.assignee_id IS NULL OR conversations.assignee_id = 11")
    assert str(can_see_files_where(SVETA).compile()) == "true"


def test_conversation_refusals_say_what_to_do() -> None:
    boris = Conversation(id=7, assignee_id=12)
    assert refused(ensure_can_write, ANNA, boris)[2] == (
        "This conversation is assigned to someone else; ask a supervisor to hand it over."
    )
    assert refused(ensure_can_hand_over, ANNA, boris)[2] == (
        "Only the operator holding a conversation, or a supervisor, may hand it to someone else."
    )
    assert refused(ensure_offered_to, ANNA, boris)[2] == "This conversation is not offered to you."
    call = Call(answered_by_extension="101", transferred_to=None, answered_by_user_id=12)
    assert refused(ensure_can_transfer_call, ANNA, call, "102")[2] == (
        "Only the operator on the call may transfer it."
    )


def test_only_a_person_is_recorded_as_one() -> None:
    assert person_of(ANNA, "reply") is ANNA
    assert refused(person_of, ROBOT, "reply") == (
        "needs-a-person",
        403,
        "Only a signed-in person may reply; SLA may not.",
        {"actor": "SLA"},
    )
    assert refused(person_of, SYSTEM, "take it")[2:] == (
        "Only a signed-in person may take it; system may not.",
        {"actor": "system"},
    )
    assert (user_id_of(ANNA), user_id_of(ROBOT), user_id_of(SYSTEM)) == (11, None, None)


def test_on_the_call_needs_an_extension_that_answered_or_was_transferred_to() -> None:
    call = Call(answered_by_extension="101", transferred_to=None)
    assert on_the_call(call, "101")
    assert not on_the_call(call, None)  # no extension is not the empty transfer target
    assert not on_the_call(call, "102")


# (check, the lowest role allowed, the refusal's message)
RANKED = [
    (ensure_can_manage_accounts, Role.admin, "Managing user accounts needs the admin role."),
    (
        ensure_can_handle_personal_data,
        Role.admin,
        "Exporting or erasing a person's data needs the admin role.",
    ),
    (ensure_can_manage_teams, Role.admin, "Changing teams needs the admin role."),
    (ensure_can_manage_channels, Role.admin, "Changing channels needs the admin role."),
    (
        ensure_can_set_routing,
        Role.supervisor,
        "Changing operators' routing settings needs the supervisor role.",
    ),
    (ensure_can_merge_contacts, Role.supervisor, "Merging contacts needs the supervisor role."),
    (ensure_can_manage_robots, Role.admin, "Setting up robots needs the admin role."),
    (ensure_can_manage_sla, Role.supervisor, "Setting SLA targets needs the supervisor role."),
    (
        ensure_can_clear_flags,
        Role.supervisor,
        "Clearing a robot's flag needs the supervisor role.",
    ),
    (ensure_can_configure_crm, Role.admin, "Setting up the CRM needs the admin role."),
    (ensure_can_set_plans, Role.supervisor, "Setting managers' plans needs the supervisor role."),
]


@pytest.mark.parametrize(("check", "lowest", "message"), RANKED)
def test_setting_up_needs_a_rank_robots_rank_as_supervisors_the_system_as_admin(
    check: object, lowest: Role, message: str
) -> None:
    assert callable(check)
    allowed = {
        Role.supervisor: [SVETA, ADMIN, ROBOT, SYSTEM],
        Role.admin: [ADMIN, SYSTEM],
    }[lowest]
    for actor in (ANNA, SVETA, ADMIN, ROBOT, SYSTEM):
        if actor in allowed:
            check(actor)
        else:
            assert refused(check, actor) == ("forbidden", 403, message, None)


def test_an_account_is_switched_on_or_off_by_its_equals_or_betters() -> None:
    admin_user = User(id=31, role=Role.admin)
    operator_user = User(id=12, role=Role.operator)
    ensure_can_switch_user(SVETA, operator_user)
    ensure_can_switch_user(ADMIN, admin_user)
    assert refused(ensure_can_switch_user, SVETA, admin_user) == (
        "forbidden",
        403,
        "Switching a user with the admin role on or off needs that role.",
        None,
    )
    ensure_can_switch_user(ROBOT, User(id=21, role=Role.supervisor))
    assert refused(ensure_can_switch_user, ROBOT, admin_user)[0] == "forbidden"


def test_nobody_demotes_or_deactivates_himself() -> None:
    me = User(id=31, role=Role.admin)
    ensure_not_locking_out(ADMIN, me, role=Role.admin, is_active=True)  # no change
    ensure_not_locking_out(ADMIN, me)
    ensure_not_locking_out(ADMIN, User(id=12, role=Role.operator), role=Role.admin)
    ensure_not_locking_out(SYSTEM, me, role=Role.operator, is_active=False)
    assert refused(ensure_not_locking_out, ADMIN, me, role=Role.operator) == (
        "cannot-change-self",
        409,
        "you cannot demote or deactivate yourself",
        {"field": "role"},
    )
    assert refused(ensure_not_locking_out, ADMIN, me, is_active=False)[3] == {"field": "is_active"}
    assert refused(ensure_not_locking_out, ADMIN, me, role=Role.operator, is_active=False)[3] == {
        "field": "role"
    }


def test_a_missing_merged_or_hidden_contact_is_a_404() -> None:
    ensure_contact_visible(4, True, None)
    assert refused(ensure_contact_visible, 4, False, None) == (
        "no-such-contact",
        404,
        "There is no such contact.",
        {"contact_id": 4},
    )
    assert refused(ensure_contact_visible, 4, True, 9) == (
        "contact-merged",
        404,
        "This contact was merged into another one.",
        {"contact_id": 4, "merged_into_id": 9},
    )
    ensure_contact_in_view(4, True)
    assert refused(ensure_contact_in_view, 4, False) == (
        "no-such-contact",
        404,
        "There is no such contact.",
        {"contact_id": 4},
    )


def test_a_record_is_edited_by_its_manager_his_supervisor_and_admins() -> None:
    team = frozenset({21, 11})
    for actor in (ANNA, ADMIN, ROBOT, SYSTEM):
        ensure_can_edit_record(actor, 11, NOBODY)
    ensure_can_edit_record(BORIS, None, NOBODY)  # nobody's record is anyone's
    ensure_can_edit_record(SVETA, 11, team)
    expected = (
        "not-responsible",
        403,
        "Only the responsible manager, his supervisor or an administrator may change this.",
        {"responsible_user_id": 11},
    )
    assert refused(ensure_can_edit_record, BORIS, 11, team) == expected  # a mate, no supervisor
    assert refused(ensure_can_edit_record, SVETA, 11, frozenset({21})) == expected


def test_stale_and_closed_conflicts_name_what_happened() -> None:
    error = stale_version("deal", 3, 5, {"title": "x"})
    assert (error.error_id, error.status, error.message, error.details) == (
        "stale-version",
        409,
        "This deal was changed by someone else meanwhile; reload it and edit again.",
        {"id": 3, "current_version": 5, "current": {"title": "x"}},
    )
    at = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
    done = already_closed(8, "done", 12, at)
    assert (done.error_id, done.status, done.message, done.details) == (
        "activity-already-done",
        409,
        "This activity is already done.",
        {"id": 8, "status": "done", "done_by_id": 12, "at": at},
    )
    cancelled = already_closed(8, "cancelled", None, at)
    assert (cancelled.error_id, cancelled.message) == (
        "activity-cancelled",
        "This activity was cancelled.",
    )


def test_who_may_be_planned_for() -> None:
    mates = frozenset({12})
    assert may_plan_for(ANNA, 11, NOBODY, False)  # himself
    assert may_plan_for(ANNA, None, NOBODY, False)  # nobody in particular
    assert may_plan_for(ANNA, 12, mates, False)
    assert may_plan_for(ANNA, 13, NOBODY, True)  # his view covers that person's records
    assert not may_plan_for(ANNA, 13, mates, False)
    assert may_plan_for(ADMIN, 13, NOBODY, False)
    assert may_plan_for(ROBOT, 13, NOBODY, False) and may_plan_for(SYSTEM, 13, NOBODY, False)
    assert not may_plan_for(SVETA, 13, NOBODY, False)  # a supervisor outside his teams


def test_an_activity_is_changed_by_its_planner_or_whoever_edits_its_record() -> None:
    ensure_can_change_activity(BORIS, 11, 12, NOBODY)  # he planned it for Anna
    ensure_can_change_activity(ANNA, 11, 12, NOBODY)
    assert refused(ensure_can_change_activity, BORIS, 11, 13, NOBODY)[:2] == (
        "not-responsible",
        403,
    )
    ensure_can_change_activity(ROBOT, 11, None, NOBODY)
    ensure_can_change_activity(SVETA, 11, None, frozenset({11, 21}))  # his team's
    assert refused(ensure_can_change_activity, BORIS, 11, None, NOBODY)[3] == {
        "responsible_user_id": 11
    }


def test_absences_are_ones_own_a_supervisors_teams_or_an_admins() -> None:
    for actor, mates in ((ANNA, NOBODY), (ADMIN, NOBODY), (SVETA, frozenset({11}))):
        ensure_can_manage_absence(actor, 11, mates)
    ensure_can_manage_absence(ROBOT, 11, NOBODY)
    expected = (
        "not-your-absence",
        403,
        "Only the person, his team's supervisor or an administrator may change this.",
        {"user_id": 11},
    )
    assert refused(ensure_can_manage_absence, BORIS, 11, frozenset({11})) == expected
    assert refused(ensure_can_manage_absence, SVETA, 11, NOBODY) == expected


@pytest.mark.parametrize("actor", [ANNA, BORIS, SVETA, ADMIN, ROBOT])
def test_a_personal_template_is_its_owners_alone(actor: Actor) -> None:
    if actor is ANNA:
        ensure_can_edit_template(actor, "personal", 11)
        return
    assert refused(ensure_can_edit_template, actor, "personal", 11) == (
        "no-such-template",
        404,
        "There is no such template.",
        None,
    )


def test_team_and_company_templates_are_the_supervisors() -> None:
    for scope in ("team", "company"):
        ensure_can_edit_template(SVETA, scope, None)
        ensure_can_edit_template(ROBOT, scope, None)
        assert refused(ensure_can_edit_template, ANNA, scope, 11) == (
            "forbidden",
            403,
            "Changing team and company templates needs the supervisor role.",
            None,
        )
