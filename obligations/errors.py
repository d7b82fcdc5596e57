"""The project's one exception hierarchy.

Every error a user can cause derives from :class:`Error`; ``main.py`` turns a
:class:`FatalError` into a sentence and an exit code, and prints a traceback
only at debug level.
"""

from __future__ import annotations

from dataclasses import dataclass

from i18n import N_, Language
from i18n.phrase import phrase, say


class Error(Exception):
    """Base class of every error this project raises on purpose."""


class FatalError(Error):
    """An error that ends the current command."""

    exit_code = 1


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found in an input file, with its place.

    ``line`` and ``column`` are 1-based, as editors show them; 0 means unknown.
    """

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}: {self.message}"
        return f"{self.file}: {self.message}"

    def worded(self, lang: Language) -> str:
        """The line in ``lang``: the place, then the message from the catalog when it has a code."""
        place = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{place}: {say(self.message, lang)}"


class ValidationFailed(FatalError):
    """One or more input files are invalid; every problem is listed at once."""

    exit_code = 2

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        self.lang: Language | None = None  # the reader's, when the command knows it (cli.context)
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigurationError(FatalError):
    """The configuration file or a command-line option is unusable."""

    exit_code = 2


class HolidayDataMissing(FatalError):
    """The working-day calendar has no official data for a year.

    Raised instead of guessing: a weekends-only calendar for a year whose
    holiday notice is not in the dataset would misplace duties around the
    Spring Festival and National Day.
    """

    def __init__(self, year: int, covered: tuple[int, int]) -> None:
        self.year = year
        self.covered = covered
        super().__init__(phrase(
            N_("problem.no_holiday_data"),
            "no official holiday data for %(year)s (the chinesecalendar dataset covers %(first)s-%(last)s). "
            "Fix: upgrade chinesecalendar once the State Council has published the %(year)s notice, or enter "
            "that notice under calendar.official.%(year)s (holidays and workdays) in config.yaml (main.py "
            "holidays import reads the notice), or opt in to a prediction from the statutory holidays with "
            "calendar.beyond_dataset: predict (or to a weekends-only guess: weekends_only)",
            year=year, first=covered[0], last=covered[1]))


class UnknownReference(FatalError):
    """A command named a unit or obligation id that the rules do not define."""

    exit_code = 2


__all__ = [
    "ConfigurationError",
    "Error",
    "FatalError",
    "HolidayDataMissing",
    "Problem",
    "UnknownReference",
    "ValidationFailed",
]
