"""Driven adapters of the FeedbackStore port."""
