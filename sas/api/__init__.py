"""The read-only JSON API for district systems, versioned under /api/v1/."""
