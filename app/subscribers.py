"""Who derives rows from a case's events (app.cases.events): registered once per process by the shell
(the application, the CLI), so that ``cases/`` never imports the packages that listen to it."""

from __future__ import annotations

from app.config import Settings
from app.feed import subscriber as feed_subscriber
from app.notifications import producers as notification_producers


def install(settings: Settings) -> None:
    """Idempotent: a subscriber registered again replaces itself."""
    feed_subscriber.register()
    notification_producers.register(settings.public_base_url)
