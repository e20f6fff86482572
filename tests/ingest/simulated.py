"""What the simulator's test modules share: the fixed "now" and the default topics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from vendorwatch.settings import Topics

NOW = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
SKEW = timedelta(hours=24)
TOPICS = Topics().event_topics()  # {topic: type}
TOPIC_OF = {event_type: topic for topic, event_type in TOPICS.items()}
DAY = timedelta(days=1)
SEED = 42
