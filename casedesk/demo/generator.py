"""Realistic demo cases, written through the bulk path.

Every case is worked out by ``cases.services.case_prepare``, as every channel opens one,
then follows a legal path through the workflow table; its timeline is built by
``cases.events`` (the same events the services write) and its deadlines come from the
rulebook's rules through the same pure functions (``deadlines_walk``). Rows are inserted
in batches (``core.bulk.create``, as the other intake paths), never one save per row, so
that the same generator fills a database of a million cases.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from casedesk import rulebook
from casedesk.accounts.models import Office, RegisterCounter, User
from casedesk.accounts.roles import Role
from casedesk.accounts.services import format_register_number
from casedesk.cases import events as timeline
from casedesk.cases.deadline_sync import deadlines_walk
from casedesk.cases.models import (
    Appeal,
    Case,
    CaseApplicant,
    Channel,
    Deadline,
    DeadlineFlag,
    Relation,
)
from casedesk.cases.services import case_numbers_reserve, case_prepare, format_case_number
from casedesk.cases.workflow import TRANSITIONS, Outcome
from casedesk.core import bulk, secrets
from casedesk.core.crypto import keys_new
from casedesk.core.models import Region
from casedesk.core.states import CaseState as S
from casedesk.deadlines.rules import status
from casedesk.letters.answers import member_name_values, paragraph_fill
from casedesk.letters.models import Answer, AnswerState, LetterKind
from casedesk.letters.services import letter_generate
from casedesk.people.models import Person, ServiceType
from casedesk.urgency import services as urgency_services

from . import texts

DEMO_PASSWORD = "casedesk-demo-2026"  # noqa: S105 - documented demo logins, never production

# One office of each kind but the public body (procedure kinds: deadlines.yaml): the
# federal commissioner (1-FKZ), a regional commissioner (48-FZ and the regional law named
# in REGIONAL_LAWS), an NGO (its own rules, not law).
OFFICES = [
    ("MSK", "Аппарат Уполномоченного по правам человека (приёмная, Москва)",
     "Commissioner for Human Rights, public reception (Moscow)", "RU-MOW", "commissioner_1fkz"),
    ("SPB", "Уполномоченный по правам человека в Санкт-Петербурге",
     "Commissioner for Human Rights in St Petersburg", "RU-SPE", "commissioner_regional"),
    ("KSM", "Комитет солдатских матерей (Екатеринбург)",
     "Soldiers' Mothers Committee (Yekaterinburg)", "RU-SVE", "ngo_own_rules"),
]
# The regional law a regional commissioner's letters cite beside 48-FZ (its title only:
# the demo does not claim a number or date).
REGIONAL_LAWS = {
    "SPB": "Закон Санкт-Петербурга «Об Уполномоченном по правам человека в Санкт-Петербурге»",
}
# Contacts and routing of the demo offices (fictional addresses and numbers): code ->
# (address ru, address en, phone, email, hours ru, hours en, regions served, default).
OFFICE_DETAILS = {
    "MSK": ("101000, Москва, ул. Образцовая, д. 1", "1 Obraztsovaya St, Moscow 101000",
            "+7 495 000-00-01", "priemnaya@casedesk.example",
            "пн–чт 9:00–18:00, пт 9:00–16:45", "Mon–Thu 9:00–18:00, Fri 9:00–16:45",
            ["RU-MOW", "RU-MOS"], True),
    "SPB": ("190000, Санкт-Петербург, Примерная наб., д. 2",
              "2 Primernaya Emb., St Petersburg 190000",
              "+7 812 000-00-02", "ombudsman-spb@casedesk.example",
              "пн–пт 10:00–17:00", "Mon–Fri 10:00–17:00", ["RU-SPE", "RU-LEN"], False),
    "KSM": ("620000, Екатеринбург, ул. Учебная, д. 3", "3 Uchebnaya St, Yekaterinburg 620000",
              "+7 343 000-00-03", "ksm@casedesk.example",
              "вт, чт 11:00–19:00", "Tue, Thu 11:00–19:00",
              ["RU-SVE", "RU-CHE", "RU-TYU"], False),
}
OFFICE_WEIGHTS = [5, 2, 3]

# username, role, offices ("*" = all), superuser
STAFF = [
    ("admin", Role.ADMINISTRATOR, "*", True),
    ("clerk", Role.INTAKE_CLERK, "MSK", False),
    ("caseworker", Role.CASEWORKER, "MSK", False),
    ("caseworker2", Role.CASEWORKER, "MSK", False),
    # Moscow and St Petersburg: the demo's man with cases in both is merged by her (issue 18).
    ("supervisor", Role.SUPERVISOR, "MSK+SPB", False),
    ("commission", Role.COMMISSION_MEMBER, "MSK", False),
    ("commission2", Role.COMMISSION_MEMBER, "MSK", False),
    ("commission3", Role.COMMISSION_MEMBER, "MSK", False),
    ("analyst", Role.ANALYST, "*", False),
    ("spb_clerk", Role.INTAKE_CLERK, "SPB", False),
    ("spb_caseworker", Role.CASEWORKER, "SPB", False),
    ("spb_supervisor", Role.SUPERVISOR, "SPB", False),
    ("spb_commission", Role.COMMISSION_MEMBER, "SPB", False),
    ("spb_commission2", Role.COMMISSION_MEMBER, "SPB", False),
    ("spb_commission3", Role.COMMISSION_MEMBER, "SPB", False),
    ("ksm_clerk", Role.INTAKE_CLERK, "KSM", False),
    ("ksm_caseworker", Role.CASEWORKER, "KSM", False),
    ("ksm_supervisor", Role.SUPERVISOR, "KSM", False),
    ("ksm_commission", Role.COMMISSION_MEMBER, "KSM", False),
    ("ksm_commission2", Role.COMMISSION_MEMBER, "KSM", False),
    ("ksm_commission3", Role.COMMISSION_MEMBER, "KSM", False),
]
# The demo staff as people (fictional names): username -> first name, last name, position
# in Russian and in English. Filled in for existing demo users whose fields are empty.
STAFF_PEOPLE = {
    "admin": ("Андрей", "Соколов", "системный администратор", "system administrator"),
    "clerk": ("Ольга", "Миронова", "специалист по приёму обращений", "appeals intake officer"),
    "caseworker": ("Наталья", "Белова", "ведущий специалист", "lead specialist"),
    "caseworker2": ("Игорь", "Захаров", "главный специалист", "chief specialist"),
    "supervisor": ("Елена", "Воронцова", "начальник отдела по работе с обращениями",
                   "head of the appeals department"),
    "commission": ("Виктор", "Лебедев", "заместитель Уполномоченного, председатель комиссии",
                   "deputy commissioner, commission chair"),
    "commission2": ("Марина", "Гусева", "консультант-юрист, член комиссии",
                    "legal consultant, commission member"),
    "commission3": ("Сергей", "Крылов", "представитель общественного совета, член комиссии",
                    "public council representative, commission member"),
    "analyst": ("Павел", "Никитин", "консультант-аналитик", "analyst"),
    "spb_clerk": ("Дарья", "Орехова", "специалист 1-го разряда", "specialist, first grade"),
    "spb_caseworker": ("Алексей", "Фомин", "ведущий специалист", "lead specialist"),
    "spb_supervisor": ("Татьяна", "Ершова", "начальник отдела", "head of department"),
    "spb_commission": ("Михаил", "Тарасов", "заместитель Уполномоченного, председатель комиссии",
                       "deputy commissioner, commission chair"),
    "spb_commission2": ("Ирина", "Савельева", "главный специалист-юрист, член комиссии",
                        "chief legal specialist, commission member"),
    "spb_commission3": ("Николай", "Шестаков", "член экспертного совета, член комиссии",
                        "expert council member, commission member"),
    "ksm_clerk": ("Юлия", "Сорокина", "секретарь приёмной", "reception secretary"),
    "ksm_caseworker": ("Денис", "Макаров", "консультант", "consultant"),
    "ksm_supervisor": ("Галина", "Рябова", "председатель комитета", "committee chair"),
    "ksm_commission": ("Людмила", "Ковалёва", "член правления, председатель комиссии",
                       "board member, commission chair"),
    "ksm_commission2": ("Анна", "Зуева", "член правления", "board member"),
    "ksm_commission3": ("Владимир", "Белоусов", "юрист-консультант", "legal consultant"),
}

CATEGORY_WEIGHTS = {
    "demobilization_term": 16, "medical_discharge": 12, "record_error_awol": 9,
    "insurance_payment": 9, "contract_termination": 8, "exit_request_delay": 7,
    "family_discharge": 6, "pay_suspended": 6, "refusal_legal_question": 5,
    "medical_care": 4, "missing_captivity": 4, "coercion_threats": 3, "leave_rotation": 3,
    "wrongful_mobilization": 3, "misinformation": 2, "service_booklet_mark": 1,
    "collective_petition": 1, "other": 3,
}
RELATIONS = [(Relation.MOTHER, 40), (Relation.WIFE, 25), (Relation.SELF, 14),
             (Relation.FATHER, 6), (Relation.LAWYER, 7), (Relation.SIBLING, 4),
             (Relation.OTHER_RELATIVE, 4)]
# The relations that fit a text about a son, a husband or a brother (texts.KIN); the
# first is taken when the drawn relation does not fit.
KIN_RELATIONS = {"son": (Relation.MOTHER, Relation.FATHER), "husband": (Relation.WIFE,),
                 "brother": (Relation.SIBLING,)}


def _fitting(category: str, relation: str) -> str:
    """``relation``, or one that fits who the category's text speaks of."""
    fits = KIN_RELATIONS.get(texts.KIN.get(category, ""))
    return relation if fits is None or relation in fits else fits[0]


SERVICE_TYPES = [(ServiceType.MOBILIZED, 50), (ServiceType.CONTRACT, 35),
                 (ServiceType.CONSCRIPT, 10), (ServiceType.VOLUNTEER, 5)]
CHANNELS = [(Channel.WEB, 35), (Channel.LETTER, 30), (Channel.EMAIL, 25), (Channel.PHONE, 5),
            (Channel.VISIT, 5)]

# The path each final state is reached by; each step is a row of the transition table.
PATHS = {
    S.RECEIVED: [],
    S.REGISTERED: ["register"],
    S.IN_REVIEW: ["register", "start_review"],
    S.AWAITING_INFORMATION: ["register", "start_review", "request_information"],
    S.REFERRED_TO_COMMISSION: ["register", "start_review", "refer_to_commission"],
    S.COMMISSION_DECIDED: ["register", "start_review", "refer_to_commission", "record_decision"],
    S.ANSWERED: ["register", "start_review", "answer"],
    S.CLOSED: ["register", "start_review", "answer", "close"],
    S.FORWARDED: ["register", "forward"],
    S.WITHDRAWN: ["register", "start_review", "withdraw"],
    S.LEFT_UNANSWERED: ["register", "leave_unanswered"],
}
# Final states by the age of the case in days: (upper bound of age, weights).
STATE_MIX = [
    (3, {S.RECEIVED: 40, S.REGISTERED: 40, S.IN_REVIEW: 20}),
    (30, {S.REGISTERED: 8, S.IN_REVIEW: 45, S.AWAITING_INFORMATION: 15,
          S.REFERRED_TO_COMMISSION: 8, S.ANSWERED: 12, S.FORWARDED: 6, S.LEFT_UNANSWERED: 2,
          S.WITHDRAWN: 4}),
    (90, {S.IN_REVIEW: 14, S.AWAITING_INFORMATION: 7, S.REFERRED_TO_COMMISSION: 7,
          S.COMMISSION_DECIDED: 4, S.ANSWERED: 25, S.CLOSED: 30, S.FORWARDED: 6,
          S.WITHDRAWN: 4, S.LEFT_UNANSWERED: 3}),
    (math.inf, {S.IN_REVIEW: 4, S.AWAITING_INFORMATION: 2, S.REFERRED_TO_COMMISSION: 2,
                S.ANSWERED: 9, S.CLOSED: 70, S.FORWARDED: 6, S.WITHDRAWN: 4,
                S.LEFT_UNANSWERED: 3}),
]
REQUIRED_TEXT = {
    "request_information": ("message", "Просим прислать копию выписного эпикриза.",
                            "Please send a copy of the hospital discharge summary."),
    "refer_to_commission": ("reason", "Требуется индивидуальное рассмотрение комиссией.",
                            "The case needs an individual review by the commission."),
    "record_decision": ("reason", "Доводы заявителя подтверждены документами.",
                        "The applicant's arguments are supported by the documents."),
    "withdraw": ("reason", "Заявитель отозвал обращение письмом.",
                 "The applicant withdrew the appeal by letter."),
}
FORWARD_BODIES = [("military_prosecutor", "Военная прокуратура Западного военного округа"),
                  ("other", "Министерство обороны РФ"),
                  ("medical_commission", "Главное военно-медицинское управление Минобороны "
                                         "России")]


def weighted(rng: random.Random, pairs):
    items, weights = zip(*pairs, strict=True)
    return rng.choices(items, weights=weights)[0]


@dataclass
class Context:
    book: rulebook.Rulebook
    offices: list[Office]
    regions: list[Region]
    region_weights: list[float]
    staff: dict[int, dict[str, list[User]]]  # office id -> role -> users
    now: dt.datetime
    today: dt.date
    rng: random.Random
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # The last outgoing number given per (office id, year): answers take the next.
    out_numbers: dict[tuple[int, int], int] = field(default_factory=dict)
    # What case_prepare gives a new case, per office, rulebook, category, sub-category.
    case_columns: dict[tuple, dict] = field(default_factory=dict)


def ensure_reference(*, password: str = DEMO_PASSWORD) -> list[tuple[str, str, str]]:
    """The demo offices and staff; returns (username, role, offices) for the logins."""
    regions = {r.code: r for r in Region.objects.all()}
    offices = {}
    for code, name_ru, name_en, region, procedure in OFFICES:
        address_ru, address_en, phone, email, hours_ru, hours_en, served, default = \
            OFFICE_DETAILS[code]
        offices[code], created = Office.objects.get_or_create(
            code=code,
            defaults={"name_ru": name_ru, "name_en": name_en, "region": regions.get(region),
                      "procedure": procedure, "regional_law": REGIONAL_LAWS.get(code, ""),
                      "address_ru": address_ru,
                      "address_en": address_en, "phone": phone, "email": email,
                      "hours_ru": hours_ru, "hours_en": hours_en, "controller_ru": name_ru,
                      "controller_en": name_en,
                      "is_default": default and not Office.objects.filter(
                          is_default=True).exists()},
        )
        if created:
            offices[code].regions.set([regions[c] for c in served if c in regions])
    logins = []
    for username, role, office_code, superuser in STAFF:
        first, last, position_ru, position_en = STAFF_PEOPLE[username]
        person = {"first_name": first, "last_name": last, "position_ru": position_ru,
                  "position_en": position_en}
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, role=role, is_staff=superuser,
                        is_superuser=superuser, **person)
            user.set_password(password)
            user.save()
            user.offices.set(offices.values() if office_code == "*"
                             else [offices[code] for code in office_code.split("+")])
        else:
            _fill_person(user, person)
        logins.append((username, str(role.label), office_code))
    _ensure_commissions(offices)
    return logins


# The names the demo gave its staff before they had real ones ("Spb Caseworker"): replaced.
def _placeholder(user: User) -> bool:
    return user.first_name == user.username.replace("_", " ").title() and not user.last_name


def _fill_person(user: User, person: dict[str, str]) -> None:
    """Fill in the name and position of an existing demo user where they are empty (or
    the old placeholder name); what someone has typed in stays."""
    placeholder = _placeholder(user)
    changed = [name for name, value in person.items()
               if not getattr(user, name) or (placeholder and name == "first_name")]
    for name in changed:
        setattr(user, name, person[name])
    if changed:
        user.save(update_fields=changed)


def _ensure_commissions(offices: dict) -> None:
    """A working commission in every office: its members are all the office's active
    commission-member staff (whoever the staff list gives it); one chair (the one already
    chairing, or the first by username); enough members to reach the rulebook's quorum.
    An office with too few members stops the seed with a message that says so, rather
    than get a commission that could never sign a decision."""
    from casedesk.review.models import Commission, CommissionMember

    needed = rulebook.current().review.quorum_min_votes
    short = []
    for office in offices.values():
        members = list(User.objects.filter(role=Role.COMMISSION_MEMBER, offices=office,
                                           is_active=True).order_by("username"))
        if len(members) < needed:
            short.append(f"{office.code}: {len(members)} of {needed}")
            continue
        commission, _ = Commission.objects.get_or_create(
            office=office, defaults={"name_ru": f"Комиссия офиса {office.code}",
                                     "name_en": f"{office.code} office commission"})
        for user in members:
            CommissionMember.objects.get_or_create(commission=commission, user=user)
        chairs = commission.memberships.filter(is_chair=True)
        if not chairs.exists():
            commission.memberships.filter(user=members[0]).update(is_chair=True)
    if short:
        raise RuntimeError(
            "The demo staff list gives these offices too few commission members for the "
            "quorum (rulebook review.quorum_min_votes); add commission-member logins to "
            "STAFF: " + ", ".join(short))


def _context(seed: int, now: dt.datetime) -> Context:
    rng = random.Random(seed)
    regions = list(Region.objects.order_by("code"))
    shuffled = regions[:]
    rng.shuffle(shuffled)
    weights = {r.pk: 1 / (rank + 1) ** 0.9 for rank, r in enumerate(shuffled)}
    staff: dict[int, dict[str, list[User]]] = defaultdict(lambda: defaultdict(list))
    for user in User.objects.prefetch_related("offices"):
        for office in user.offices.all():
            staff[office.pk][user.role].append(user)
    return Context(
        book=rulebook.current(timezone.localdate(now)),
        offices=list(Office.objects.filter(code__in=[o[0] for o in OFFICES]).order_by("code")),
        regions=regions,
        region_weights=[weights[r.pk] for r in regions],
        staff=staff,
        now=now,
        today=timezone.localdate(now),
        rng=rng,
    )


def _name(rng, *, female: bool, surname: str | None = None) -> str:
    surname = surname or rng.choice(texts.SURNAMES_M)
    if female:
        return f"{surname}а {rng.choice(texts.FIRST_F)} {rng.choice(texts.PATRONYMIC_F)}"
    return f"{surname} {rng.choice(texts.FIRST_M)} {rng.choice(texts.PATRONYMIC_M)}"


def _person(ctx: Context, *, name: str, english: bool, service: bool, region) -> Person:
    rng = ctx.rng
    if english:
        name = name.translate(texts.LATIN)
    handle = f"demo{rng.randrange(10**6):06d}"
    return Person(
        full_name=name,
        birth_date=dt.date(rng.randint(1966, 2005), rng.randint(1, 12), rng.randint(1, 28)),
        email=f"{handle}@example.org" if rng.random() < 0.6 else "",
        phone=f"+7 900 {rng.randrange(1000):03d}-{rng.randrange(100):02d}-{rng.randrange(100):02d}",
        postal_address="" if service else f"{rng.choice(texts.PLACES)}, ул. Примерная, д. "
                                          f"{rng.randint(1, 120)}, кв. {rng.randint(1, 300)}",
        service_type=weighted(rng, SERVICE_TYPES) if service else "",
        unit=f"{rng.randint(10000, 99999)}" if service else "",
        region=region,
    )


def _timeline(ctx: Context, received: dt.datetime, path: list[str], web: bool):
    """Times for each step of ``path``: increasing, none later than now."""
    rng = ctx.rng
    available = (ctx.now - received).total_seconds()
    gaps = []
    for i, step in enumerate(path):
        if step == "register" and not web and i == 0:
            gaps.append(0.0)
        elif step == "register":
            gaps.append(rng.uniform(0.1, 2.5) * 86400)
        else:
            gaps.append(rng.uniform(1, 18) * 86400)
    total = sum(gaps)
    if total > available * 0.98:
        scale = (available * 0.98) / total if total else 0
        gaps = [g * scale for g in gaps]
    times, at = [], received
    for gap in gaps:
        at = at + dt.timedelta(seconds=gap)
        times.append(at)
    return times


def _deadlines(ctx: Context, case: Case, states: list[str], dates: list[dt.date]) -> list[Deadline]:
    """The Deadline rows the services would have left after this sequence of states."""
    book = rulebook.get(case.rulebook_version)
    rows = []
    for past in deadlines_walk(book, case.procedure, states, dates, today=ctx.today):
        deadline = Deadline(case=case, rule=past.rule, starts_on=past.starts_on,
                            due_on=past.due_on,
                            pauses=[[a.isoformat(), b.isoformat() if b else None]
                                    for a, b in past.pauses])
        if past.closed_on is not None:
            deadline.closed_on = past.closed_on
            deadline.met = past.met
        else:
            deadline.flag = str(status(past.due_on, ctx.today,
                                       due_soon_days=book.due_soon_days))
        rows.append(deadline)
    return rows


def _transition_details(ctx: Context, step: str, english: bool) -> dict:
    rng, book = ctx.rng, ctx.book
    if step in REQUIRED_TEXT:
        key, ru, en = REQUIRED_TEXT[step]
        details = {key: en if english else ru}
        if step == "record_decision":
            details["outcome"] = rng.choice(Outcome.values)
        return details
    if step == "answer":
        return {"outcome": rng.choice(Outcome.values)}
    if step == "forward":
        body, name = rng.choice(FORWARD_BODIES)
        return {"forward_body": body, "forwarded_to": name}
    if step == "leave_unanswered":
        ground = rng.choice([g for g in book.grounds.values() if not g.forward])
        return {"ground": ground.code, "citation": ground.citation}
    return {}


def generate(*, count: int, seed: int = 2026, batch: int = 1000, now: dt.datetime | None = None,
             span_days: int | None = None, progress=None) -> dict[str, int]:
    """Insert ``count`` demo cases; return how many rows of each kind were written."""
    now = now or timezone.now()
    ensure_reference()
    ctx = _context(seed, now)
    span = span_days or min(3650, max(365, math.ceil(count / 300)))
    start = now - dt.timedelta(days=span)
    step = dt.timedelta(days=span) / max(count, 1)
    categories = [c for c in CATEGORY_WEIGHTS if c in ctx.book.categories]
    cat_weights = [CATEGORY_WEIGHTS[c] for c in categories]
    done = 0
    while done < count:
        size = min(batch, count - done)
        plans = []
        for i in range(size):
            received = start + step * (done + i) + dt.timedelta(minutes=ctx.rng.randint(0, 600))
            received = min(received, now - dt.timedelta(minutes=5))
            office = ctx.rng.choices(ctx.offices, weights=OFFICE_WEIGHTS[: len(ctx.offices)])[0]
            plans.append((received, office))
        _write_batch(ctx, plans, categories, cat_weights)
        done += size
        if progress:
            progress(done)
    return dict(ctx.counts)


def _write_batch(ctx: Context, plans, categories, cat_weights) -> None:
    rng = ctx.rng
    with transaction.atomic():
        # Case numbers: one reservation per office and year in this batch.
        by_key: dict[tuple[int, int], int] = defaultdict(int)
        for received, office in plans:
            by_key[(office.pk, timezone.localtime(received).year)] += 1
        next_seq = {}
        offices = {o.pk: o for o in ctx.offices}
        for (office_id, year), n in sorted(by_key.items()):
            next_seq[(office_id, year)] = case_numbers_reserve(
                office=offices[office_id], year=year, count=n)

        people, drafts = [], []
        for received, office in plans:
            english = rng.random() < 0.12
            category = rng.choices(categories, weights=cat_weights)[0]
            region = rng.choices(ctx.regions, weights=ctx.region_weights)[0]
            surname = rng.choice(texts.SURNAMES_M)
            member = _person(ctx, name=_name(rng, female=False, surname=surname),
                             english=english, service=True, region=region)
            relation = _fitting(category, weighted(rng, RELATIONS))
            female = relation in (Relation.MOTHER, Relation.WIFE) or (
                relation not in (Relation.FATHER, Relation.SELF) and rng.random() < 0.6)
            same_family = relation in (Relation.MOTHER, Relation.WIFE, Relation.FATHER,
                                       Relation.SIBLING)
            applicant = member if relation == Relation.SELF else _person(
                ctx, name=_name(rng, female=female, surname=surname if same_family else None),
                english=english, service=False, region=region)
            people.append(member)
            if applicant is not member:
                people.append(applicant)
            second = None
            if rng.random() < 0.08:
                second = _person(ctx, name=_name(rng, female=True, surname=surname),
                                 english=english, service=False, region=region)
                people.append(second)
            drafts.append(dict(received=received, office=office, english=english,
                               category=category, member=member, applicant=applicant,
                               relation=relation, second=second))
        # One data key per person, made in bulk in the key store (casedesk.core.crypto).
        for person, key_id in zip(people, keys_new(len(people)), strict=True):
            person.key_id = key_id
        bulk.create(people)

        cases, plans_out = [], []
        for d in drafts:
            office, received = d["office"], d["received"]
            year = timezone.localtime(received).year
            seq = next_seq[(office.pk, year)]
            next_seq[(office.pk, year)] = seq + 1
            age = (ctx.now - received).total_seconds() / 86400
            mix = next(weights for bound, weights in STATE_MIX if age < bound)
            state = weighted(rng, list(mix.items()))
            web = rng.random() < 0.35
            path = PATHS[state]
            if not web and state == S.RECEIVED:
                state, path = S.REGISTERED, PATHS[S.REGISTERED]
            times = _timeline(ctx, received, path, web)
            category = ctx.book.categories[d["category"]]
            sub = rng.choice(category.subcategories).code if category.subcategories and \
                rng.random() < 0.7 else ""
            workers = ctx.staff[office.pk][Role.CASEWORKER] + ctx.staff[office.pk][Role.SUPERVISOR]
            # The case as it was opened; then where its path took it.
            case, book = _opened(ctx, office=office, member=d["member"],
                                 category=d["category"], subcategory=sub, received=received)
            case.number = format_case_number(office.code, year, seq)
            case.sequence = seq
            case.state = state
            case.registered_at = times[0] if path else None
            if web:  # a web appeal's applicant got an access code (nobody knows this one)
                case.access_code_hash = secrets.access_code_hash(secrets.access_code_new())
            case.closed_at = times[-1] if state == S.CLOSED else None
            case.assignee = rng.choice(workers) if workers and "start_review" in path else None
            details = [_transition_details(ctx, step, d["english"]) for step in path]
            for step, extra in zip(path, details, strict=True):
                if step == "answer":
                    case.outcome = extra["outcome"]
                elif step == "forward":
                    case.forward_body = extra["forward_body"]
                    case.forwarded_to = extra["forwarded_to"]
                elif step == "leave_unanswered":
                    case.unanswered_ground = extra["ground"]
            cases.append(case)
            plans_out.append((d, path, times, details, web, book))
        # Children first (they set the case's next due date), then the cases get their ids,
        # which the children's foreign keys pick up when they are inserted. The events
        # that name an appeal or an answer are built once those have their ids.
        links, appeals, later, deadlines, answers = [], [], [], [], []
        for case, plan in zip(cases, plans_out, strict=True):
            _rows_for_case(ctx, case, *plan, links, appeals, later, deadlines, answers)
        bulk.create(cases)
        _referrals(ctx, cases, plans_out)
        bulk.create(links, ids=False)
        bulk.create(appeals)
        bulk.create(deadlines, ids=False)
        bulk.create(answers)
        _save_out_numbers(ctx)
        events = [build(case, **kwargs, **{name: obj.pk for name, obj in ids.items()})
                  for build, case, kwargs, ids in later]
        bulk.create(events, ids=False)
        # Urgency (issue 19): the appeals the rulebook's urgency rules meet, flagged as the
        # task does after a real receipt, so that the queues and the supervisor show them.
        ctx.counts["urgent"] += len(urgency_services.cases_evaluate(
            case_ids=[case.pk for case in cases]))
        for name, rows in (("cases", cases), ("people", people), ("appeals", appeals),
                           ("events", events), ("deadlines", deadlines), ("answers", answers)):
            ctx.counts[name] += len(rows)


# The columns of a new case that differ from case to case (``_opened``).
_CASE_OWN = ("office_id", "service_member_id", "received_at", "year", "violation_known_on",
             "next_due_on", "deadline_flag")


def _opened(ctx: Context, *, office: Office, member: Person, category: str, subcategory: str,
            received: dt.datetime) -> tuple[Case, rulebook.Rulebook]:
    """A new case, unsaved, as ``cases.services.case_prepare`` opens it, and its rulebook.
    ``case_prepare`` runs once per office, rulebook, category and sub-category (model
    instances are most of what the generator costs, and it makes several); each case
    takes its columns, with its own service member, reception time and year. Its deadline
    columns are left to its whole history (``_rows_for_case``)."""
    book = rulebook.current(timezone.localdate(received))
    key = (office.pk, book.version, category, subcategory)
    columns = ctx.case_columns.get(key)
    if columns is None:
        prepared = case_prepare(office=office, service_member=None, category=category,
                                subcategory=subcategory, received_at=received).case
        columns = ctx.case_columns[key] = {
            f.attname: prepared.__dict__[f.attname] for f in Case._meta.concrete_fields
            if not f.primary_key and f.attname not in _CASE_OWN}
    case = Case(office=office, service_member=member, received_at=received,
                year=timezone.localtime(received).year, **columns)
    return case, book


def _out_number(ctx: Context, office: Office, at: dt.datetime) -> str:
    year = timezone.localtime(at).year
    key = (office.pk, year)
    if key not in ctx.out_numbers:
        ctx.out_numbers[key] = (RegisterCounter.objects.filter(
            office=office, direction="out", year=year).values_list("last", flat=True)
            .first() or 0)
    ctx.out_numbers[key] += 1
    return format_register_number(office.code, year, ctx.out_numbers[key])


def _save_out_numbers(ctx: Context) -> None:
    """The offices' outgoing registers continue after the numbers the demo gave."""
    for (office_id, year), last in ctx.out_numbers.items():
        RegisterCounter.objects.update_or_create(office_id=office_id, direction="out",
                                                 year=year, defaults={"last": last})


def _answer_text(ctx: Context, case: Case, d: dict, lang: str) -> str:
    """The answer written from the rulebook's paragraphs for the category: the opening,
    the category's own paragraph, the right to challenge it."""
    paragraphs = ctx.book.paragraphs_for(case.category)
    chosen = [p for p in paragraphs if "*" in p.categories and p.code != "right_to_appeal"][:1]
    chosen += [p for p in paragraphs if "*" not in p.categories][:1]
    chosen += [p for p in paragraphs if p.code == "right_to_appeal"]
    received = timezone.localdate(case.received_at)
    values = {
        "applicant_name": d["applicant"].full_name,
        **member_name_values(d["member"].full_name, lang),
        "case_number": case.number, "office": case.office.name(lang),
        "received_on": (f"{received.day} {received:%b %Y}" if lang == "en"
                        else f"{received:%d.%m.%Y}"),
    }
    return "\n\n".join(paragraph_fill(p.text.get(lang), values) for p in chosen)


def _answer(ctx: Context, case: Case, d: dict, worker, at: dt.datetime, outcome: str,
            lang: str) -> Answer:
    return Answer(case=case, state=AnswerState.SIGNED, text=_answer_text(ctx, case, d, lang),
                  outcome=outcome, author=worker, edited_by=worker, signer=worker,
                  signed_at=at, language=lang, outgoing_number=_out_number(ctx, case.office, at))


def answer_letters(*, limit: int) -> int:
    """Make the letters (PDF and DOCX) of the ``limit`` latest demo answers that have none,
    as signing would have; return how many were made."""
    made = 0
    pending = (Answer.objects.filter(state=AnswerState.SIGNED, letter_pdf__isnull=True)
               .select_related("case", "signer").order_by("-signed_at")[:limit])
    for answer in pending:
        pdf, docx = letter_generate(
            actor=None, system=True, case=answer.case, kind=LetterKind.ANSWER,
            language=answer.language or None,
            context={"text": answer.text, "outcome": answer.outcome, "supplement": False},
            at=answer.signed_at, outgoing_number=answer.outgoing_number,
            signatory=answer.signer)
        # A signed answer is never saved again; its letter is filed beside it.
        Answer.objects.filter(pk=answer.pk).update(letter_pdf=pdf, letter_docx=docx)
        made += 1
    return made


DEMO_REPLY = {
    "ru": "Добрый день! Отвечаю на ваш вопрос: выписной эпикриз из госпиталя прикладываю, "
          "он до сих пор на лечении.",
    "en": "Hello, in answer to your question: I attach the hospital discharge summary; he "
          "is still being treated.",
}


def applicant_replies(*, limit: int) -> int:
    """Let the applicants of the ``limit`` most recent assigned cases awaiting information
    answer through the portal's own service, as they would: the cases go back into review
    and their caseworkers see them marked in the queue ("the applicant answered"), which
    the bulk rows above never make. Returns how many answered."""
    from casedesk.intake.public import applicant_reply

    waiting = (Case.objects.filter(state=S.AWAITING_INFORMATION, assignee__isnull=False)
               .order_by("-received_at").values_list("pk", flat=True)[:limit])
    replied = 0
    for case_id in waiting:
        language = (Appeal.objects.filter(case_id=case_id).order_by("received_at")
                    .values_list("language", flat=True).first())
        applicant_reply(case_id=case_id, text=DEMO_REPLY.get(language, DEMO_REPLY["ru"]))
        replied += 1
    return replied


def _referrals(ctx, cases, plans_out) -> None:
    """Referrals behind the cases that reached the commission, so that its pages have
    something to show (pending, or decided for the decided ones)."""
    from casedesk.review.models import Commission, Referral, ReferralStatus

    commissions = {c.office_id: c for c in Commission.objects.all()}
    rows = []
    for case, (d, path, times, _details, _web, _book) in zip(cases, plans_out, strict=True):
        if "refer_to_commission" not in path or case.office_id not in commissions:
            continue
        at = times[path.index("refer_to_commission")]
        english = d["english"]
        rows.append(Referral(
            case=case, commission=commissions[case.office_id], referred_at=at,
            summary=("The applicant's account is supported by the documents in the file."
                     if english else "Доводы заявителя подтверждаются документами дела."),
            question=("Should the office recommend correcting the record?" if english
                      else "Рекомендовать ли исправить запись и восстановить права?"),
            status=ReferralStatus.PENDING if case.state == S.REFERRED_TO_COMMISSION
            else ReferralStatus.DECIDED))
    bulk.create(rows)
    ctx.counts["referrals"] += len(rows)


def _guide_answers(ctx, case, web: bool) -> dict:
    """Every seventh web appeal was filed through the pathways guide: the answers of one
    of the rulebook's own guide test cases (chosen by the case number, so the demo's random
    draws stay as they were)."""
    guide = ctx.book.guide
    if not web or guide is None or not guide.tests:
        return {}
    serial = int(case.number.rsplit("-", 1)[-1])
    if serial % 7:
        return {}
    sample = guide.tests[serial // 7 % len(guide.tests)]
    return {"guide_answers": dict(sample.answers), "guide_version": ctx.book.version}


def _rows_for_case(ctx, case, d, path, times, details, web, book, links, appeals, later,
                   deadlines, answers) -> None:
    """The rows of one case besides itself. Its events go to ``later`` as (builder of
    ``cases.events``, case, arguments, {argument: row whose id it takes}), built once the
    appeals and answers they name are saved."""
    rng = ctx.rng
    office = case.office
    staff = ctx.staff[office.pk]
    clerk = (staff[Role.INTAKE_CLERK] or [None])[0]
    channel = Channel.WEB if web else weighted(rng, CHANNELS[1:])
    lang = "en" if d["english"] else "ru"
    ru, en = texts.SITUATIONS[case.category]
    when = (case.received_at - dt.timedelta(days=rng.randint(5, 120))).date()
    text = (en if d["english"] else ru).format(
        unit=d["member"].unit, date=when.strftime("%d.%m.%Y"), place=rng.choice(texts.PLACES))
    request = rng.choice(texts.REQUESTS[1 if d["english"] else 0])
    links.append(CaseApplicant(case=case, person=d["applicant"], relation=d["relation"]))
    appeals.append(Appeal(case=case, channel=channel, received_at=case.received_at,
                          language=lang, text=text,
                          request=request, submitter=d["applicant"],
                          registered_by=None if web else clerk,
                          **_guide_answers(ctx, case, web)))

    def event(build, ids=None, **kwargs):
        later.append((build, case, kwargs, ids or {}))

    event(timeline.case_opened_new, at=case.received_at, actor=None if web else clerk,
          channel=channel)
    states, dates = [S.RECEIVED], [timezone.localdate(case.received_at)]
    worker = case.assignee
    for step, at, extra in zip(path, times, details, strict=True):
        spec = TRANSITIONS[step]
        actor = clerk if step == "register" else worker
        if step == "record_decision":
            actor = (staff[Role.COMMISSION_MEMBER] or [None])[0]
        ids = {}
        if step == "answer":
            # The signed answer the move requires, as letters.answers.answer_sign writes it
            # (its letter is made for the latest answers only: ``answer_letters``).
            answer = _answer(ctx, case, d, actor, at, extra["outcome"], lang)
            answers.append(answer)
            event(timeline.answer_signed_new, {"answer_id": answer}, at=at, actor=actor,
                  number=answer.outgoing_number, supplements=None)
            ids = {"answer": answer}
        event(timeline.state_changed_new, ids, at=at, actor=actor, transition=step,
              source=states[-1], target=str(spec.target), public=spec.public, **extra)
        if step == "start_review" and worker is not None:
            event(timeline.assigned_new, at=at, actor=worker, assignee_id=worker.pk,
                  previous_id=None)
        states.append(str(spec.target))
        dates.append(timezone.localdate(at))
    if d["second"] is not None and case.state in (S.IN_REVIEW, S.AWAITING_INFORMATION):
        at = times[-1] + (ctx.now - times[-1]) / 2
        second = Appeal(case=case, channel=Channel.LETTER, received_at=at,
                        language=lang, text=text, request=request, submitter=d["second"],
                        registered_by=clerk)
        appeals.append(second)
        links.append(CaseApplicant(case=case, person=d["second"], relation=Relation.MOTHER))
        event(timeline.appeal_attached_new, {"appeal_id": second}, at=at, actor=clerk,
              channel=Channel.LETTER)
    # The deadlines of the whole history, not the opening ones case_prepare worked out.
    rows = _deadlines(ctx, case, states, dates)
    deadlines.extend(rows)
    open_rows = [r for r in rows if r.closed_on is None]
    if open_rows:
        case.next_due_on = min(r.due_on for r in open_rows)
        case.deadline_flag = str(status(case.next_due_on, ctx.today,
                                        due_soon_days=book.due_soon_days))
    else:
        case.next_due_on = None
        case.deadline_flag = DeadlineFlag.OK


# Issue 18: one service member with cases in two offices (his mother wrote to Moscow, his
# wife to St Petersburg) and a second record of him from his father, left unmerged for the
# demo of the person page and the merge.
ONE_MAN = "Кузнецов Андрей Викторович"


def one_man_in_two_offices(*, now: dt.datetime | None = None) -> dict[str, str] | None:
    """Register the three appeals through the intake service and merge the first two
    records as the supervisor would; returns {name: case number}, None if already there
    or if the offices are missing."""
    from casedesk.intake.services import PersonData, appeal_register
    from casedesk.people.lifecycle.merge import person_merge

    offices = {o.code: o for o in Office.objects.filter(code__in=["MSK", "SPB"])}
    users = {u.username: u for u in User.objects.filter(
        username__in=["clerk", "spb_clerk", "supervisor"])}
    if len(offices) < 2 or len(users) < 3:
        return None
    now = now or timezone.now()
    member = dict(full_name=ONE_MAN, birth_date=dt.date(1994, 3, 2), unit="в/ч 74814",
                  service_type="mobilized", region_code="RU-MOW")
    mother = appeal_register(
        actor=users["clerk"], office=offices["MSK"], channel="letter", relation="mother",
        text="Мой сын Андрей мобилизован осенью, в части его записали в СОЧ, хотя он лежит "
             "в госпитале с контузией. Прошу помочь исправить запись.",
        applicant=PersonData(full_name="Кузнецова Мария Ивановна", phone="+7 903 000-11-22",
                             postal_address="Москва, ул. Садовая, 3"),
        service_member=PersonData(**member), category="record_error_awol",
        received_at=now - dt.timedelta(days=40)).case
    wife = appeal_register(
        actor=users["spb_clerk"], office=offices["SPB"], channel="letter", relation="wife",
        text="Мужу не выплатили страховую выплату за ранение, документы поданы три месяца "
             "назад.",
        applicant=PersonData(full_name="Кузнецова Ольга Петровна", email="olga@example.org"),
        service_member=PersonData(full_name="Кузнецов Андрей", unit="12345",
                                  phone="+7 916 123-45-67", service_type="mobilized"),
        category="insurance_payment", received_at=now - dt.timedelta(days=12)).case
    person_merge(actor=users["supervisor"], keep=mother.service_member,
                 other=wife.service_member)
    father = appeal_register(
        actor=users["clerk"], office=offices["MSK"], channel="email", relation="father",
        text="Сын Андрей Викторович до сих пор не уволен, хотя контракт закончился.",
        applicant=PersonData(full_name="Кузнецов Виктор Семёнович", phone="+7 903 555-44-33"),
        service_member=PersonData(full_name="Кузнецов Андрей Викторович",
                                  birth_date=dt.date(1994, 3, 2)),
        category="demobilization_term", received_at=now - dt.timedelta(days=3)).case
    return {"mother": mother.number, "wife": wife.number, "father": father.number}


# Appeals waiting to be registered (issue 19): web appeals arrive as "other", and the clerk
# of each office finds a few of them on the desk with the category suggestions, the facts
# and the urgency the background tasks give every new appeal. Sent through the portal's
# own service, as a mother, a father or a wife would send them, in both languages.
WAITING = [
    ("ru", "mother", "Здравствуйте. Мой сын {member} мобилизован в сентябре 2022 года, служит "
     "в в/ч {unit}. Уже больше двух лет без ротации и без отпуска, рапорт об увольнении "
     "командир не принимает. Прошу разъяснить, когда его демобилизуют.", 5),
    ("ru", "father", "Сына {member} после ранения под Курском выписали из госпиталя "
     "недолеченным, осколок не извлечён, а командир части {unit} снова отправляет его на "
     "передовую. Помогите, он не может держать автомат.", 3),
    ("en", "wife", "My husband {member} has been missing since 14 October; unit {unit} "
     "tells me nothing and the enlistment office refuses to take my application. "
     "Please help me find out whether he is alive or in captivity.", 1),
]
WAITING_PEOPLE = {
    "MSK": (("Лебедев Никита Олегович", "Лебедева Ирина Павловна"),
            ("Орлов Егор Сергеевич", "Орлов Сергей Иванович"),
            ("Volkov Denis Andreevich", "Volkova Anna")),
    "SPB": (("Егоров Максим Игоревич", "Егорова Светлана Юрьевна"),
            ("Никитин Роман Алексеевич", "Никитин Алексей Петрович"),
            ("Zaitsev Ivan Olegovich", "Zaitseva Maria")),
    "KSM": (("Степанов Артём Денисович", "Степанова Галина Викторовна"),
            ("Семёнов Олег Павлович", "Семёнов Павел Андреевич"),
            ("Kozlov Pavel Sergeevich", "Kozlova Elena")),
}


def appeals_to_register(*, now: dt.datetime | None = None) -> list[str]:
    """Send the WAITING appeals to each office of WAITING_PEOPLE through the public
    intake (channel "web", as the portal sends them; they wait to be registered); the
    numbers of the cases opened. Nothing if an office is missing."""
    from casedesk.intake import public
    from casedesk.intake.services import PersonData

    now = now or timezone.now()
    numbers = []
    for code, people in WAITING_PEOPLE.items():
        office = Office.objects.filter(code=code).first()
        if office is None:
            continue
        for i, ((language, relation, text, hours), (member, applicant)) in enumerate(
                zip(WAITING, people, strict=True)):
            unit = str(51000 + 37 * (i + 1) + len(numbers))
            body = text.format(member=member, unit=unit)
            receipt = public.appeal_submit(
                channel="web", idempotency_key=f"demo-waiting-{code}-{i}",
                payload={"text": body, "member": member, "applicant": applicant},
                applicant=PersonData(full_name=applicant,
                                     email=f"demo.{code.lower()}.{i}@example.org"),
                relation=relation, service_member=PersonData(full_name=member),
                text=body, language=language, consent=True, office=office,
                received_at=now - dt.timedelta(hours=hours))
            numbers.append(receipt.case_number)
    return numbers


# Facts from the text (issue 19, casedesk.facts): the demo's newest appeals get their
# facts (what the background task does after a receipt), and one new case names a unit
# its service member's record lacks, so the case page offers to fill it.
FACTS_CASES = 200
UNIT_IN_TEXT = (
    "Здравствуйте. Мой сын, рядовой Соколов Илья Андреевич, мобилизован 23 сентября 2022 "
    "года и служит в войсковой части 51460 (64-я отдельная мотострелковая бригада). С 12 "
    "марта по 5 апреля 2024 года он лежал в госпитале в Ростове-на-Дону, ВВК определила "
    "категорию годности «В», но командир снова отправляет его на фронт. Единовременная "
    "выплата 195 000 руб. по ст. 51 Федерального закона № 53-ФЗ не получена. "
    "Прошу провести проверку.")


def facts_demo(*, now: dt.datetime | None = None) -> dict | None:
    """Register the appeal above (MSK, by the clerk) and extract the facts of it and of the
    newest FACTS_CASES cases; {"case": its number, "facts": how many stored}."""
    from casedesk.facts.services import facts_extract
    from casedesk.intake.services import PersonData, appeal_register

    office = Office.objects.filter(code="MSK").first()
    clerk = User.objects.filter(username="clerk").first()
    if office is None or clerk is None:
        return None
    case = appeal_register(
        actor=clerk, office=office, channel="letter", relation="mother", text=UNIT_IN_TEXT,
        applicant=PersonData(full_name="Соколова Марина Викторовна", phone="+7 903 000-22-33",
                             postal_address="Москва, ул. Садовая, 7"),
        service_member=PersonData(full_name="Соколов Илья Андреевич",
                                  service_type="mobilized"),
        category="other", received_at=(now or timezone.now()) - dt.timedelta(days=1)).case
    newest = list(Case.objects.order_by("-pk").values_list("pk", flat=True)[:FACTS_CASES])
    return {"case": case.number, "facts": facts_extract(case_ids=newest)}
