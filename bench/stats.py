"""Small statistics the phases share."""


def percentile(values: list[float], percent: float) -> float:
    """The value at `percent` of the sorted values (nearest rank); 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))]
