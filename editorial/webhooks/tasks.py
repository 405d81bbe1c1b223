"""The webhook tasks: deliver the events a change recorded, and sweep what is due."""

from __future__ import annotations
