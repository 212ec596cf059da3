"""The rules of accounts (``ebr.domain.accounts``): who may create, confirm and change an account,
the founding of a site, and administrators holding no GMP role."""

from __future__ import annotations

import pytest

from ebr.domain.account_events import AccountChange, AccountEvent
from ebr.domain.accounts import AccountState, SiteAccounts, applied, check_event, check_roles
from ebr.domain.meanings import Meaning
from ebr.domain.refusals import (
    AccountStateError,
    IdentityNotConfirmed,
    Refusal,
    RoleNotAllowed,
    RolesNotCombinable,
    SegregationOfDuties,
)
from ebr.domain.roles import Role

FOUNDER = AccountState(
    user_id="root", full_name="Rhea Root", roles=(Role.ADMIN,), created_by="root"
)
ADMIN = AccountState(
    user_id="adam", full_name="Adam", roles=(Role.ADMIN,), created_by="root", confirmed_by="vera"
)
QA = AccountState(
    user_id="vera", full_name="Vera", roles=(Role.QA,), created_by="root", confirmed_by="root"
)
NEW = AccountState(user_id="otto", full_name="Otto", roles=(Role.OPERATOR,), created_by="adam")
CONFIRMED_SITE = SiteAccounts(empty=False, confirmed_reviewer=True)
FOUNDING_SITE = SiteAccounts(empty=False, confirmed_reviewer=False)


def create(*roles: Role) -> AccountChange:
    return AccountChange(event=AccountEvent.CREATED, full_name="Otto", roles=roles)


def event(kind: AccountEvent, *roles: Role) -> AccountChange:
    return AccountChange(event=kind, roles=roles or None)


def refusal(
    change: AccountChange,
    signer: AccountState | None,
    account: AccountState | None,
    site: SiteAccounts = CONFIRMED_SITE,
    signer_id: str | None = None,
) -> Refusal:
    with pytest.raises(Refusal) as caught:
        check_event(
            change,
            signer_id=signer_id or (signer.user_id if signer else "x"),
            signer=signer,
            account=account,
            site=site,
        )
    return caught.value


@pytest.mark.parametrize("gmp", [Role.OPERATOR, Role.SUPERVISOR, Role.QA, Role.AUTHOR])
def test_an_administrator_holds_no_gmp_role(gmp: Role) -> None:
    with pytest.raises(RolesNotCombinable) as caught:
        check_roles([Role.ADMIN, gmp])
    assert caught.value.message.startswith(
        f"an administrator holds no GMP role: admin cannot be combined with {gmp.value}"
    )
    assert check_roles([Role.AUDITOR, Role.ADMIN]) == (Role.AUDITOR, Role.ADMIN)
    assert check_roles([Role.SUPERVISOR, Role.OPERATOR, Role.OPERATOR]) == (
        Role.OPERATOR,
        Role.SUPERVISOR,
    )
    with pytest.raises(RolesNotCombinable):
        check_roles([])


def test_the_first_account_founds_the_site_and_only_it_signs_its_own_creation() -> None:
    founding = AccountChange(event=AccountEvent.CREATED, full_name="Rhea", roles=(Role.ADMIN,))
    check_event(
        founding,
        signer_id="root",
        signer=None,
        account=None,
        site=SiteAccounts(empty=True, confirmed_reviewer=False),
    )
    late = refusal(founding, None, None, signer_id="root")
    assert isinstance(late, SegregationOfDuties)
    operator = refusal(
        create(Role.OPERATOR),
        None,
        None,
        signer_id="otto",
        site=SiteAccounts(empty=True, confirmed_reviewer=False),
    )
    assert isinstance(operator, RolesNotCombinable)
    state = applied(founding, None, user_id="root", signer_id="root")
    assert state.founder and not state.confirmed


def test_an_unconfirmed_founder_administers_only_until_a_reviewer_is_confirmed() -> None:
    check_event(create(Role.QA), signer_id="root", signer=FOUNDER, account=None, site=FOUNDING_SITE)
    assert isinstance(refusal(create(Role.QA), FOUNDER, None), IdentityNotConfirmed)
    other = ADMIN.model_copy(update={"confirmed_by": None})
    assert isinstance(
        refusal(create(Role.QA), other, None, site=FOUNDING_SITE), IdentityNotConfirmed
    )


def test_only_an_active_administrator_changes_an_account_and_never_their_own() -> None:
    for kind in (AccountEvent.DISABLED, AccountEvent.UNLOCKED, AccountEvent.PASSWORD_RESET):
        assert isinstance(refusal(event(kind), QA, NEW), RoleNotAllowed)
        assert isinstance(refusal(event(kind), ADMIN, ADMIN), SegregationOfDuties)
        check_event(event(kind), signer_id="adam", signer=ADMIN, account=NEW, site=CONFIRMED_SITE)
    disabled_admin = ADMIN.model_copy(update={"active": False})
    assert isinstance(refusal(create(Role.QA), disabled_admin, None), RoleNotAllowed)


def test_identity_is_confirmed_by_a_second_person_qa_or_supervisor() -> None:
    confirm = event(AccountEvent.IDENTITY_CONFIRMED)
    check_event(confirm, signer_id="vera", signer=QA, account=NEW, site=CONFIRMED_SITE)
    supervisor = QA.model_copy(update={"user_id": "sue", "roles": (Role.SUPERVISOR,)})
    check_event(confirm, signer_id="sue", signer=supervisor, account=NEW, site=CONFIRMED_SITE)
    assert isinstance(refusal(confirm, NEW, NEW), SegregationOfDuties)
    creator = refusal(confirm, ADMIN, NEW)
    assert isinstance(creator, SegregationOfDuties)
    assert "created an account does not confirm" in creator.message
    operator = NEW.model_copy(update={"user_id": "olga", "confirmed_by": "vera"})
    assert isinstance(refusal(confirm, operator, NEW), RoleNotAllowed)
    unconfirmed_qa = QA.model_copy(update={"confirmed_by": None})
    assert isinstance(refusal(confirm, unconfirmed_qa, NEW), IdentityNotConfirmed)
    again = NEW.model_copy(update={"confirmed_by": "vera"})
    assert isinstance(refusal(confirm, QA, again), AccountStateError)
    state = applied(confirm, NEW, user_id="otto", signer_id="vera")
    assert state.confirmed_by == "vera"
    assert confirm.event.meaning is Meaning.VERIFIED


def test_the_founder_confirms_the_first_reviewer_and_no_one_else() -> None:
    confirm = event(AccountEvent.IDENTITY_CONFIRMED)
    first_qa = QA.model_copy(update={"confirmed_by": None})
    check_event(confirm, signer_id="root", signer=FOUNDER, account=first_qa, site=FOUNDING_SITE)
    assert isinstance(refusal(confirm, FOUNDER, first_qa), SegregationOfDuties)
    operator = NEW.model_copy(update={"created_by": "root"})
    assert isinstance(refusal(confirm, FOUNDER, operator, site=FOUNDING_SITE), SegregationOfDuties)


def test_changes_that_change_nothing_are_refused() -> None:
    same = refusal(event(AccountEvent.ROLES_CHANGED, Role.OPERATOR), ADMIN, NEW)
    assert isinstance(same, AccountStateError)
    assert isinstance(refusal(event(AccountEvent.ENABLED), ADMIN, NEW), AccountStateError)
    gone = NEW.model_copy(update={"active": False})
    assert isinstance(refusal(event(AccountEvent.DISABLED), ADMIN, gone), AccountStateError)
    assert isinstance(refusal(event(AccountEvent.PASSWORD_RESET), ADMIN, gone), AccountStateError)
    dual = refusal(event(AccountEvent.ROLES_CHANGED, Role.ADMIN, Role.QA), ADMIN, NEW)
    assert isinstance(dual, RolesNotCombinable)
    back = applied(event(AccountEvent.ENABLED), gone, user_id="otto", signer_id="adam")
    assert back.active


def test_a_records_detail_is_an_account_change_or_nothing() -> None:
    change = AccountChange.of_detail({"event": "roles_changed", "roles": ["qa"]})
    assert change.roles == (Role.QA,)
    for detail in (
        {"event": "roles_changed"},
        {"event": "disabled", "roles": ["qa"]},
        {"event": "created", "roles": ["qa"]},
        {"roles": ["qa"]},
        None,
        {"event": "promoted"},
    ):
        with pytest.raises(ValueError):
            AccountChange.of_detail(detail)
