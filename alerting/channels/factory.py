"""Opening a channel, under its former address: each configuration's ``open`` is its factory,
and :func:`alerting.channels.registry.open_channel` calls it; import from there in new code."""

from __future__ import annotations

from alerting.channels.registry import open_channel

__all__ = ["open_channel"]
