"""One realistic value for a column, chosen by its name (hints) and else by its type."""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from app.ecosystem.coltypes import ColumnType
from app.examples import vocabulary as words

LATE = ("closed_at", "resolved_at", "withdrawn_at", "stopped_at", "closed_on", "valid_until")


@dataclass(slots=True)
class Scope:
    """What a value may depend on: the random source, the seeded days, the row made so far."""

    rng: random.Random
    today: date
    days: int
    row: dict[str, object] = field(default_factory=dict)

    def day(self) -> date:
        """One of the seeded days (the `days` days before today)."""
        return self.today - timedelta(days=self.rng.randint(1, self.days))

    def moment(self) -> datetime:
        """A time during one of the seeded days, UTC."""
        start = datetime.combine(self.day(), time(), UTC)
        return start + timedelta(seconds=self.rng.randint(6 * 3600, 22 * 3600))


def value(name: str, parsed: ColumnType, scope: Scope) -> object:
    """A value for the column `name` of this type."""
    hinted = _hinted(name, parsed, scope)
    return hinted if hinted is not None else by_type(name, parsed, scope)


def _hinted(name: str, parsed: ColumnType, scope: Scope) -> object | None:
    if name in LATE and scope.rng.random() < 0.7:
        return None
    if parsed.base in ("varchar", "char", "text"):
        text = _text_hint(name, parsed, scope)
        return None if text is None else _fit(text, parsed)
    if parsed.base == "date":
        return _date_hint(name, scope)
    return None


def _text_hint(name: str, parsed: ColumnType, scope: Scope) -> str | None:
    rng = scope.rng
    if name in words.CATEGORIES:
        return rng.choice(words.CATEGORIES[name])
    if name.endswith("email"):
        return _email(scope)
    if name in ("first_name", "last_name", "full_name", "client_name", "matched_name"):
        return _person(name, scope)
    if name == "isin":
        return f"US{rng.randint(10**9, 10**10 - 1)}"
    if name == "instrument_name":
        return f"{rng.choice(words.COMPANY_WORDS)} {rng.choice(('Common Stock', 'ETF', '5% 2030 Bond'))}"
    if name.endswith(("legal_name", "entity_name", "trading_name")):
        return f"{rng.choice(words.COMPANY_WORDS)} {rng.choice(words.COMPANY_SUFFIXES)}"
    if "phone" in name:
        return f"+1 555 01{rng.randint(0, 99):02d} {rng.randint(0, 9999):04d}"
    if name == "tax_id":
        return f"{rng.randint(100, 899)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
    if name in ("national_id", "document_number"):
        return f"{rng.choice('ABCDEFGHJK')}{rng.randint(10**7, 10**8 - 1)}"
    if name == "iban":
        return f"{rng.choice(('DE', 'FR', 'NL', 'IE'))}{rng.randint(10, 99)}{rng.randint(10**17, 10**18 - 1)}"
    return _code_hint(name, parsed, scope)


def _code_hint(name: str, parsed: ColumnType, scope: Scope) -> str | None:
    rng = scope.rng
    length = parsed.params[0] if parsed.params else 0
    if "country" in name or name in ("domicile", "jurisdiction"):
        return str(rng.choice(words.COUNTRIES)[0])
    if "currency" in name and length == 3:
        return str(rng.choice(words.CURRENCIES[:6])[0])
    if name.endswith("lei") and length == 20:
        return _lei(rng)
    if name.endswith("mic") and length == 4:
        return rng.choice(words.EXCHANGES)[0]
    if name == "mcc":
        return rng.choice(words.MCCS)
    if name.endswith("token") and length == 64:
        return hashlib.sha256(rng.randbytes(16)).hexdigest()
    if name == "fiscal_period_id":
        return scope.day().strftime("%Y-%m")
    if length == 1:
        return rng.choice("BS")
    if name.endswith(("_code", "_ref", "_id", "_key", "_bic")) or length <= 4:
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
        return "".join(rng.choice(alphabet) for _ in range(min(length or 10, 10)))
    return None


def _date_hint(name: str, scope: Scope) -> date | None:
    rng = scope.rng
    if name == "date_of_birth":
        return date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
    if name.startswith(("expires", "valid_until", "maturity", "ends", "deadline", "due")):
        return scope.today + timedelta(days=rng.randint(30, 3 * 365))
    if name.startswith(("opened", "onboarded", "installed", "valid_from", "starts")):
        return scope.today - timedelta(days=rng.randint(scope.days + 1, 8 * 365))
    return None


def by_type(name: str, parsed: ColumnType, scope: Scope) -> object:
    """A value of the type alone (the name only scales numbers)."""
    rng, base = scope.rng, parsed.base
    if base in ("smallint", "integer", "bigint"):
        top = {"smallint": 100, "integer": 10_000, "bigint": 1_000_000}[base]
        return rng.randint(0, top)
    if base in ("real", "double"):
        return round(rng.random(), 6)
    if base == "decimal":
        return _decimal(name, parsed, rng)
    if base == "boolean":
        return rng.random() < (0.9 if name.startswith("is_active") else 0.5)
    if base in ("varchar", "char", "text"):
        return _fit(_sentence(rng), parsed)
    return _temporal_or_other(name, parsed, scope)


def _temporal_or_other(name: str, parsed: ColumnType, scope: Scope) -> object:
    rng, base = scope.rng, parsed.base
    if base == "date":
        return scope.day()
    if base == "timestamptz":
        return scope.moment()
    if base == "timestamp":
        return scope.moment().replace(tzinfo=None)
    if base == "time":
        return time(rng.randint(7, 10), rng.choice((0, 30)))
    if base == "interval":
        return timedelta(milliseconds=rng.randint(5, 5_000))
    if base == "uuid":
        return uuid.UUID(int=rng.getrandbits(128), version=4)
    if base == "binary":
        return hashlib.sha256(rng.randbytes(16)).digest()
    if base == "vector":
        return [round(rng.uniform(-1, 1), 4) for _ in range(parsed.params[0])]
    if base == "array":
        nested = parsed.args[0].base in ("array", "vector")  # Postgres arrays are rectangular
        count = 2 if nested else rng.randint(1, 3)
        return [by_type(name, parsed.args[0], scope) for _ in range(count)]
    if base == "map":
        return json.dumps({_sentence(rng, 1): _plain(by_type(name, parsed.args[1], scope))})
    if base == "struct":
        return json.dumps({n: _plain(value(n, t, scope)) for n, t in parsed.fields})
    return json.dumps({"source": "ecoplane-seed", "score": rng.randint(1, 100)})  # json


def _decimal(name: str, parsed: ColumnType, rng: random.Random) -> Decimal:
    precision, scale = parsed.params
    if "bps" in name:
        low, high = 5.0, 250.0
    elif "pct" in name or "ratio" in name or "rate" in name:
        low, high = 0.0, 1.0
    elif "fee" in name:
        low, high = 0.05, 25.0
    elif "price" in name or "cost" in name:
        low, high = 5.0, 500.0
    else:
        low, high = 10.0, 5_000.0
    high = min(high, 10.0 ** (precision - scale) - 10.0**-scale)
    low = min(low, high / 2)
    return Decimal(str(round(rng.uniform(low, high), scale))).quantize(Decimal(1).scaleb(-scale))


def _plain(item: object) -> object:
    return item if isinstance(item, str | int | float | bool) or item is None else str(item)


def _fit(text: str, parsed: ColumnType) -> str:
    return text[: parsed.params[0]] if parsed.params else text


def _sentence(rng: random.Random, count: int = 4) -> str:
    vocabulary = ("review", "client", "ledger", "report", "daily", "limit", "trade", "update")
    return " ".join(rng.choice(vocabulary) for _ in range(count))


def _person(name: str, scope: Scope) -> str:
    first = str(scope.row.get("first_name") or scope.rng.choice(words.FIRST_NAMES))
    last = str(scope.row.get("last_name") or scope.rng.choice(words.LAST_NAMES))
    return {"first_name": first, "last_name": last}.get(name, f"{first} {last}")


def _email(scope: Scope) -> str:
    person = next(
        (str(scope.row[n]) for n in ("full_name", "client_name") if scope.row.get(n)),
        f"{scope.row.get('first_name') or scope.rng.choice(words.FIRST_NAMES)} "
        f"{scope.row.get('last_name') or scope.rng.choice(words.LAST_NAMES)}",
    )
    local = ".".join(person.lower().split())
    return f"{local}{scope.rng.randint(1, 999)}@{scope.rng.choice(words.MAIL_DOMAINS)}"


def _lei(rng: random.Random) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "5493" + "".join(rng.choice(alphabet) for _ in range(16))
