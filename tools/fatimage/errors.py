"""The one exception type of the image builder: a message for a person."""


class ImageError(Exception):
    """A bad input or option; str(error) says what and how to fix it."""
