"""The one schema of kbgen.toml: strict types, every problem of every section at once with its
line (nested tables included), unknown keys warned in every section with a did-you-mean."""
from __future__ import annotations

import tomllib

import pytest

from kbgen.schema import RATE_NAMES, validate


def check(text: str):
    model, problems = validate(tomllib.loads(text), file="kbgen.toml", text=text)
    errors = {p.field: p for p in problems if p.severity == "error"}
    warnings = {p.field: p for p in problems if p.severity == "warning"}
    return model, errors, warnings


def line_of(text: str, start: str, after: str = "") -> int:
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(after)) if after else 0
    return next(i for i, line in enumerate(lines[first:], first + 1) if line.startswith(start))


TICKETS = """\
[tickets]
max_files = "5"
allowed_types = ["png"]

[[tickets.departments]]
id = "Billing"

[[tickets.departments]]
id = "sales"

[[tickets.fields]]
name = "order"
type = "radio"

[[tickets.fields]]
name = "plan"
type = "select"
required = "yes"
departments = ["support"]

[tickets.sla]
urgent = 0
"""


def test_every_tickets_problem_is_reported_at_once_with_its_line():
    _, errors, _ = check(TICKETS)
    expected = {
        "tickets.max_files": line_of(TICKETS, "max_files"),
        "tickets.allowed_types": line_of(TICKETS, "allowed_types"),
        "tickets.departments[0].id": line_of(TICKETS, 'id = "Billing"'),
        "tickets.fields[0].type": line_of(TICKETS, 'type = "radio"'),
        "tickets.fields[1].required": line_of(TICKETS, "required"),
        "tickets.fields[1].departments": line_of(TICKETS, "departments = ["),
        "tickets.fields[1].options": line_of(TICKETS, "[[tickets.fields]]", after='type = "radio"'),   # a select without them
        "tickets.sla.urgent": line_of(TICKETS, "urgent"),
    }
    assert {key: errors[key].line for key in expected if key in errors} == expected, errors
    assert "needs a list of options" in errors["tickets.fields[1].options"].message


@pytest.mark.parametrize("value", ['"no"', '"yes"', '"true"', "1", "0"])
def test_booleans_are_strict_everywhere(value):
    text = f"[api]\ncookie_secure = {value}\n\n[chat]\nenabled = {value}\n\n[[tickets.fields]]\nname = \"a\"\nrequired = {value}\n"
    _, errors, _ = check(text)
    for key, line in (("api.cookie_secure", 2), ("chat.enabled", 5), ("tickets.fields[0].required", 9)):
        assert errors[key].line == line and errors[key].message == f"must be true or false (got {tomllib.loads(f'v = {value}')['v']!r})"
        if value.startswith('"'):
            assert "without quotes" in errors[key].hint


def test_numbers_in_quotes_are_not_numbers():
    _, errors, _ = check('recent_count = "8"\n[api]\nsession_days = "30"\n[forum]\nmoderate_first_posts = true\n')
    assert errors["recent_count"].message == "expected an int, got str '8'"
    assert errors["api.session_days"].message == "must be a whole number ≥ 1 (got '30')"
    assert errors["forum.moderate_first_posts"].message == "must be a whole number from 0 to 1000 (got True)"


NESTED = """\
title = "Help"

[api]
url = "/api"

[api.rate_limits]
signin = "often"
shouting = "1/second"

[api.smtp]
host = "mail"
port = 0

[[tickets.departments]]
id = "billing"

[tickets.sla.billing]
urgent = -2
urgnt = 1

[chat.hours]
mon = "9-5"

[widgets.help]
language = "en"
categories = ["a"]
max_results = -1
"""


def test_problems_in_nested_tables_name_their_line():
    _, errors, _ = check(NESTED)
    for key, start in (("api.rate_limits.signin", "signin"), ("api.rate_limits.shouting", "shouting"),
                       ("api.smtp.port", "port"), ("tickets.sla.billing.urgent", "urgent"),
                       ("tickets.sla.billing.urgnt", "urgnt"), ("chat.hours.mon", "mon"),
                       ("widgets.help.max_results", "max_results")):
        assert errors[key].line == line_of(NESTED, start), (key, errors[key])


def test_unknown_keys_are_warned_in_every_section_with_a_did_you_mean():
    text = ('titel = "x"\n[languages.en]\nname = "English"\nnmae = "E"\n[search]\nprecache_limit = 1\n'
            '[portal]\npaht = "x"\n[markdown]\nextension = []\n[api]\ndatabse_url = "x"\n[api.smtp]\nhost = "m"\nprot = 25\n'
            '[[tickets.fields]]\nname = "a"\nrequierd = true\n[chat]\nwelcom = "hi"\n[community]\nnew_account_dayz = 3\n'
            '[forum]\nkarma = 5\n[feedback]\nvotes = 1\n[analytics]\nid = 1\n')
    model, errors, warnings = check(text)
    assert not errors
    assert {key: (p.line, p.hint) for key, p in warnings.items()} == {
        "titel": (1, "did you mean `title`?"),
        "languages.en.nmae": (4, "did you mean `name`?"),
        "search.precache_limit": (6, "did you mean `precache_limit_kb`?"),
        "portal.paht": (8, "did you mean `path`?"),
        "markdown.extension": (10, "did you mean `extensions`?"),
        "api.databse_url": (12, "did you mean `database_url`?"),
        "api.smtp.prot": (15, "did you mean `port`?"),
        "tickets.fields[0].requierd": (18, "did you mean `required`?"),
        "chat.welcom": (20, "did you mean `welcome`?"),
        "community.new_account_dayz": (22, "did you mean `new_account_days`?"),
        "forum.karma": (24, "check the spelling against docs/API.md"),
        "feedback.votes": (26, "check the spelling against docs/API.md"),
        "analytics": (27, "check the spelling against the README's configuration reference"),
    }
    assert all(p.message == "unknown option, ignored" for p in warnings.values())
    assert model.api.database_url == "", "a misspelt key is not read"


def test_a_valid_file_gives_typed_values_and_no_problems():
    text = ('[languages.en]\nname = "English"\n[languages.ja]\nname = "日本語"\n[api]\ncookie_secure = false\n'
            '[api.rate_limits]\nsignin = "3/minute"\n[[tickets.departments]]\nid = "billing"\nlabel = "Billing"\n'
            '[tickets.sla]\nurgent = 4\n[tickets.sla.billing]\nurgent = 0.5\n[chat]\nwelcome = "Hi"\ndepartments = ["billing"]\n'
            'hours = { mon = "09:00-18:00" }\n[forum]\nmoderate_first_posts = 0\n')
    model, errors, warnings = check(text)
    assert (errors, warnings) == ({}, {})
    assert model.api.cookie_secure is False and model.api.rate_limits == {"signin": (3, 60)}
    assert model.tickets.departments[0].label == {"en": "Billing", "ja": "Billing"}
    assert model.tickets.sla == {"urgent": 4.0, "billing": {"urgent": 0.5}}
    assert model.chat.welcome == {"en": "Hi", "ja": "Hi"} and model.chat.departments == ("billing",)
    assert model.forum.moderate_first_posts == 0


def test_the_schema_knows_every_rate_limit_the_api_has():
    from kbgen.api.settings import DEFAULT_RATES

    assert set(RATE_NAMES) == set(DEFAULT_RATES)
