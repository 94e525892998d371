"""Numbers in words as a reader expects them: "1 image", "2 images", "1,000 images"."""


def count(n, noun, plural=None):
    """n and the noun, singular for exactly one: count(1, "image") -> "1 image",
    count(10000, "image") -> "10,000 images"; `plural` for a noun not made by adding s."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
