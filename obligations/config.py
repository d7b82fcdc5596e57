"""The service configuration (``config.yaml``): one schema, every option documented."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Literal

from pydantic import Field, field_validator, model_validator

from i18n import DEFAULT, N_, Language
from i18n.phrase import Phrase, phrase
from obligations.model import DayNote, Level
from obligations.offset import Offset, Offsets, OffsetUnit
from obligations.strict import Strict


class OfficialNotice(Strict):
    """One year's State Council holiday notice, for a year the installed dataset lacks."""

    holidays: list[dt.date] = Field(default_factory=list, description="Every statutory day off")
    workdays: list[dt.date] = Field(
        default_factory=list, description="Every make-up working day (调休) on a weekend"
    )


class CalendarConfig(Strict):
    """The working-day calendar shared by all rules files."""

    beyond_dataset: Literal["error", "predict", "weekends_only"] = Field(
        default="error",
        description="For a year with no official data: error (default); predict, the statutory days "
        "off of the 放假办法 (春节, 清明, 端午, 中秋 computed) plus weekends, without make-up working days; "
        "or weekends_only. A prediction is marked 预测 wherever it is used",
    )
    official: dict[int, OfficialNotice] = Field(
        default_factory=dict, description="Notices for years the chinesecalendar package lacks"
    )
    holidays: list[DayNote] = Field(default_factory=list, description="Extra days off for every unit")
    workdays: list[DayNote] = Field(
        default_factory=list, description="Extra working days for every unit"
    )


class ServerConfig(Strict):
    """The HTTP service (``python main.py serve``)."""

    host: str = Field(default="127.0.0.1", description="Address to listen on (0.0.0.0 for every interface)")
    port: int = Field(default=8080, ge=1, le=65535, description="Port to listen on")
    public_url: str | None = Field(
        default=None,
        description="Base URL people reach the service at, used in links and webcal:// feeds; "
        "default http://HOST:PORT",
    )
    rules_poll_seconds: int = Field(
        default=5, ge=1, le=300,
        description="With several instances on one database: how often each checks whether another loaded "
                    "different rules, and reloads its own files then",
    )

    @field_validator("public_url")
    @classmethod
    def _http(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
            raise ValueError(phrase(N_("problem.url_scheme"), "%(value)s must start with http:// or https://, "
                                    "e.g. https://duties.example.gov.cn", value=repr(v)))
        return v.rstrip("/") if v else v


class PrivateFeed(Strict):
    """A feed reached only with a secret token: /feeds/t/{token}.ics.

    The config holds the token's SHA-256, never the token itself;
    ``python main.py token`` makes a token and prints the line to add here.
    """

    name: str = Field(description="Who it is for, e.g. 库尔勒市司法局值班")
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the token, hex")
    unit: str | None = Field(default=None, description="A unit id: that unit's duties")
    children: bool = Field(default=False, description="With unit: the units below it too")
    level: Level | None = Field(default=None, description="Or every unit of a level")
    obligation: str | None = Field(default=None, description="Or one duty")

    @model_validator(mode="after")
    def _one_selection(self) -> PrivateFeed:
        chosen = [k for k in ("unit", "level", "obligation") if getattr(self, k) is not None]
        if len(chosen) > 1:
            raise ValueError(phrase(N_("problem.one_target"), "use one of unit, level or obligation, not %(chosen)s",
                                    chosen=" and ".join(chosen)))
        return self


class FeedsConfig(Strict):
    """Calendar feeds."""

    public: bool = Field(
        default=True,
        description="true: every unit, level, duty and the all-feed is public, and so are the pages; false: "
        "they need a login (main.py user) or a private feed's token",
    )
    months_back: int = Field(default=12, ge=0, le=60, description="Months of past duties in a feed")
    months_ahead: int = Field(default=13, ge=1, le=60, description="Months of coming duties in a feed")
    refresh_minutes: int = Field(
        default=60, ge=5, description="REFRESH-INTERVAL / X-PUBLISHED-TTL suggested to calendar apps"
    )
    private: list[PrivateFeed] = Field(default_factory=list, description="Token feeds")
    cache_mb: int = Field(default=256, ge=1, le=65536, description="Memory for built feeds (body and gzip); the "
                          "least recently used go first. A feed is built on its first request")
    cache_dir: str | None = Field(default=None, description="A folder keeping built feeds across restarts and for "
                                  "other instances (relative to this file); none: memory only")
    max_units: int = Field(default=1000, ge=1, description="The most units one feed may cover; a bigger one (the "
                           "all-feed, a level, a duty or a unit with its children) is refused with the feeds to use "
                           "instead")


def _check_hhmm_range(value: str) -> str:
    pass

    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d", value):
        raise ValueError(phrase(N_("problem.time_range"), "%(value)s is not a time range; write it as 'HH:MM-HH:MM', "
                                "e.g. '22:00-07:30'", value=repr(value)))
    return value


class SubscriptionConfig(Strict):
    """Which duties a subscriber is reminded of: one of unit, level, obligation or tag (none: all)."""

    unit: str | None = Field(default=None, description="A unit id: that unit's duties")
    children: bool = Field(default=False, description="With unit: the units below it too")
    level: Level | None = Field(default=None, description="Every unit of a level")
    obligation: str | None = Field(default=None, description="One duty, for every unit it applies to")
    tag: str | None = Field(default=None, description="Every duty with this tag")
    lead_times: Offsets | None = Field(
        default=None, description="Offsets before each occurrence (7d, 3wd, 2h); default: the duty's reminders"
    )

    @model_validator(mode="after")
    def _one_selection(self) -> SubscriptionConfig:
        chosen = [k for k in ("unit", "level", "obligation", "tag") if getattr(self, k) is not None]
        if len(chosen) > 1:
            raise ValueError(phrase(N_("problem.one_subscription"), "use one of unit, level, obligation or tag per "
                                    "subscription, not %(chosen)s", chosen=" and ".join(chosen)))
        if self.children and self.unit is None:
            raise ValueError(Phrase("children needs unit", N_("problem.children_unit")))
        return self


class SubscriberConfig(Strict):
    """A person, chat, mailbox or robot that receives reminders (fixed in config)."""

    name: str = Field(description="Who it is, e.g. 库尔勒市信访局值班")
    channel: str = Field(description="log, email, telegram, wecom, dingtalk, feishu or webhook")
    address: str = Field(description="E-mail address, chat id, or the robot's name under notifiers")
    language: Language = Field(default=DEFAULT, description="Language of the messages")
    quiet_hours: str | None = Field(
        default=None, description="Local hours without messages, 'HH:MM-HH:MM'; held messages come as one digest"
    )
    mode: Literal["each", "digest"] = Field(default="each", description="One message per reminder, or a daily digest")
    digest_at: dt.time = Field(default=dt.time(8, 30), description="With mode digest: local time of the digest")
    subscriptions: list[SubscriptionConfig] = Field(default_factory=lambda: [SubscriptionConfig()])
    mentions: list[str] = Field(
        default_factory=list,
        description="Chat robots: people to @-mention in each message (user ids, mobile numbers or "
        "e-mail addresses, as the platform takes them)",
    )

    @field_validator("quiet_hours")
    @classmethod
    def _range(cls, v: str | None) -> str | None:
        return _check_hhmm_range(v) if v is not None else v


class EscalationTier(Strict):
    """Who is told when a duty is overdue and not marked done."""

    after: Offset = Field(
        default="0d", validate_default=True, description="How long after the due date: 0d, 3d, 1w or 12h"
    )
    to: Literal["lead", "parent", "admins"] = Field(
        default="lead", description="lead: the lead units' contacts; parent: the unit's parent's; admins"
    )
    channel: str = Field(default="log", description="Channel used for unit contacts (email, log ...)")

    @field_validator("after")
    @classmethod
    def _delay(cls, v: Offset) -> Offset:
        if v.unit is OffsetUnit.working_days:
            raise ValueError(phrase(N_("problem.escalation_unit"), "%(value)s: an escalation delay is in days (d), "
                                    "weeks (w) or hours (h), e.g. 3d", value=repr(str(v))))
        return v


class Recipient(Strict):
    channel: str = Field(description="Channel name")
    address: str = Field(description="Address on that channel")


class RemindersConfig(Strict):
    """The reminder engine."""

    horizon_days: int = Field(default=60, ge=1, le=400, description="How far ahead reminders are planned")
    grace_minutes: int = Field(default=15, ge=0, description="A reminder sent later than this is marked late")
    lease_seconds: int = Field(default=300, ge=5, description="How long a claim on a message's reminders lasts; "
                               "renewed right before its send, it must cover the slowest single send")
    batch_size: int = Field(default=200, ge=1, description="Reminders claimed per dispatch round, a few "
                            "messages at a time as sending slots free up")
    max_attempts: int = Field(default=8, ge=1, description="Transient failures before giving up")
    backoff_seconds: float = Field(default=30, gt=0, description="First retry delay; doubles, with jitter")
    admins: list[Recipient] = Field(default_factory=list, description="Told about failures and escalations")
    escalation: list[EscalationTier] = Field(default_factory=lambda: [EscalationTier()])
    done_link_days: int = Field(
        default=30, ge=0, le=3650,
        description="A reminder's \"mark done\" link works until this many days after the duty's date",
    )
    standby_seconds: int = Field(
        default=15, ge=1, le=60,
        description="With several instances on one database: how often one that does not plan checks whether "
                    "the planning instance is gone, and takes over",
    )


class InviteLimits(Strict):
    """How many wrong invite codes (``/start CODE``) are answered before the bot stops looking."""

    per_chat: int = Field(default=5, ge=1, description="Wrong codes from one chat within the window before "
                          "that chat is locked out")
    overall: int = Field(default=50, ge=1, description="Wrong codes from all chats within the window before "
                         "every invite is refused for the lockout")
    window_minutes: int = Field(default=10, ge=1, le=1440, description="The window the wrong codes are counted in")
    lockout_minutes: int = Field(default=30, ge=1, le=10080, description="How long a lockout lasts; the admins are "
                                 "told once per lockout")


_WEEKDAYS = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class SummaryRecipient(Strict):
    """A supervisor's channel for the weekly summary: the windows of one subtree (or all)."""

    name: str = Field(description="Who it is, e.g. 州政府办督查室")
    channel: str = Field(description="log, email, telegram, wecom, dingtalk, feishu or webhook")
    address: str = Field(description="E-mail address, chat id, or the robot's name under notifiers")
    unit: str | None = Field(default=None, description="Only this unit and the units below it; omit for all")
    language: Language = Field(default=DEFAULT, description="Language of the summary")


class SupervisionConfig(Strict):
    """The supervision board (/supervision), its reports and the weekly summary."""

    due_soon_workdays: int = Field(default=3, ge=0, le=60, description="An open window is 即将到期 (due soon) "
                                   "with at most this many working days left, today included")
    summary_weekday: _WEEKDAYS = Field(default="mon", description="The weekday of the weekly summary")
    summary_at: dt.time = Field(default=dt.time(8, 30), description="Local time of the weekly summary")
    summary_to_admins: bool = Field(default=True, description="Send the weekly summary to reminders.admins")
    summary_recipients: list[SummaryRecipient] = Field(
        default_factory=list, description="Supervisors who get the weekly summary of their subtree")


class AccountsConfig(Strict):
    """Logging in to the web pages with an account made by ``main.py user add``."""

    session_hours: int = Field(default=8, ge=1, le=720, description="A login lasts this many hours; then the "
                               "page asks for the password again")
    max_failed_logins: int = Field(default=5, ge=1, le=100, description="Wrong passwords for one name within "
                                   "window_minutes before that name is locked out (the admins are told)")
    window_minutes: int = Field(default=15, ge=1, le=1440, description="The window wrong passwords are counted in")
    lockout_minutes: int = Field(default=15, ge=1, le=10080, description="How long a locked-out name must wait")


EVIDENCE_TYPES = ("pdf", "ofd", "jpg", "jpeg", "png", "doc", "docx", "xls", "xlsx", "wps", "txt")


class EvidenceConfig(Strict):
    """Files uploaded as evidence that a window was done (佐证材料)."""

    folder: str = Field(default="data/evidence", description="Where the files are kept, relative to this file; "
                        "outside any web root. Files are named by their SHA-256")
    max_mb: float = Field(default=10, gt=0, le=200, description="The largest file accepted, in megabytes")
    types: list[str] = Field(default_factory=lambda: list(EVIDENCE_TYPES), min_length=1,
                             description="File name extensions accepted, lower case without the dot")

    @field_validator("types")
    @classmethod
    def _extensions(cls, types: list[str]) -> list[str]:
        for t in types:
            if not re.fullmatch(r"[a-z0-9]{1,10}", t):
                raise ValueError(phrase(N_("problem.evidence_type"), "%(value)s is not a file name extension; "
                                        "write it lower case without the dot, e.g. pdf", value=repr(t)))
        return types


class Config(Strict):
    """Top level of config.yaml."""

    timezone: str = Field(
        default="Asia/Shanghai", description="IANA time zone of the sessions' times"
    )
    language: Language = Field(default=DEFAULT, description="Language of user-facing text")
    rules: list[str] = Field(
        default_factory=lambda: ["rules/*.yaml"],
        description="Rules files or glob patterns, relative to this file",
    )
    calendar: CalendarConfig = Field(default_factory=CalendarConfig)
    database_url: str = Field(
        default="sqlite:///data/obligations.db",
        description="SQLAlchemy URL of the store; a relative SQLite path is relative to this file. "
        "The DATABASE_URL environment variable overrides it (use that for passwords)",
    )
    server: ServerConfig = Field(default_factory=ServerConfig)
    feeds: FeedsConfig = Field(default_factory=FeedsConfig)
    reminders: RemindersConfig = Field(default_factory=RemindersConfig)
    subscribers: list[SubscriberConfig] = Field(default_factory=list, description="Fixed subscribers")
    invites: InviteLimits = Field(default_factory=InviteLimits, description="Limits on wrong invite codes")
    accounts: AccountsConfig = Field(default_factory=AccountsConfig, description="Logging in to the web pages")
    evidence: EvidenceConfig = Field(default_factory=EvidenceConfig, description="Evidence files uploaded on the web")
    supervision: SupervisionConfig = Field(default_factory=SupervisionConfig,
                                           description="The supervision board and its weekly summary")
    notifiers: dict[str, dict[str, object]] = Field(
        default_factory=dict,
        description="Channel settings by channel name (email: {...}); each channel documents its keys. "
        "The log channel needs none",
    )

    @field_validator("subscribers")
    @classmethod
    def _unique_subscribers(cls, subscribers: list[SubscriberConfig]) -> list[SubscriberConfig]:
        seen: dict[tuple[str, str], int] = {}
        for i, sub in enumerate(subscribers):
            key = (sub.channel, sub.address)
            if key in seen:
                raise ValueError(phrase(N_("problem.same_address"), "subscribers %(first)s and %(second)s both use "
                                        "%(address)s; merge their subscriptions into one subscriber",
                                        first=seen[key] + 1, second=i + 1, address=f"{sub.channel}:{sub.address}"))
            seen[key] = i
        return subscribers

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(phrase(N_("problem.time_zone"), "unknown time zone %(zone)s; use an IANA name such as "
                                    "Asia/Shanghai or Asia/Urumqi", zone=repr(v))) from None
        return v


__all__ = [
    "AccountsConfig",
    "CalendarConfig",
    "Config",
    "EscalationTier",
    "EvidenceConfig",
    "FeedsConfig",
    "InviteLimits",
    "OfficialNotice",
    "PrivateFeed",
    "Recipient",
    "RemindersConfig",
    "ServerConfig",
    "SubscriberConfig",
    "SubscriptionConfig",
    "SummaryRecipient",
    "SupervisionConfig",
]
