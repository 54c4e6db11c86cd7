"""Who gives feedback: ``feedback.user`` from the settings, else the operating-system user."""

from __future__ import annotations

import getpass
import os

from domain.feedback import FeedbackAuthor


def feedback_author(user: str) -> FeedbackAuthor:
    name = user.strip()
    if not name:
        try:
            name = getpass.getuser()
        except (OSError, KeyError):  # no user name in the environment or the password database
            name = f"uid-{os.getuid()}"
    return FeedbackAuthor.person(name)
